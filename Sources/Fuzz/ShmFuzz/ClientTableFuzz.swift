import ShmKit

/// The client-table reader: the input is the table (64 bytes an entry, zero-padded to the 64
/// entries of a default table, longer inputs cut), placed at its offset in a buffer that ends where
/// the table ends. `records` must list exactly the complete entries, as the layout in
/// `ClientTable.swift` defines them, and `held` must give each entry's range without trapping.
enum ClientTableFuzz {
    /// The default table: the one every channel without `max-clients` has.
    static let capacity = Layout.defaultClientCapacity
    static let tableSize = capacity * ClientTable.entrySize

    /// A complete entry as the layout defines it.
    struct Entry: Equatable, CustomStringConvertible {
        let slot: Int
        let pid: Int32
        let startTime: UInt64
        let role: ClientRole
        var description: String { "slot \(slot): \(role) pid \(pid) start \(startTime)" }
    }

    static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) {
        let buffer = FuzzBuffer(size: Layout.Offset.clients + tableSize, copying: input, at: Layout.Offset.clients)
        let table = ChannelHeader(base: buffer.base).clientTable(capacity: capacity)
        let raw = UnsafeRawBufferPointer(start: buffer.base + Layout.Offset.clients, count: tableSize)

        // The layout read independently of ClientTable: pid i32 at 0, role u32 at 4,
        // start time u64 at 8, first held ticket + 1 u64 at 16, held count u32 at 24.
        func field<T: FixedWidthInteger>(_ index: Int, _ offset: Int, _ type: T.Type) -> T {
            T(littleEndian: raw.loadUnaligned(fromByteOffset: index * ClientTable.entrySize + offset, as: T.self))
        }
        let expected = (0..<capacity).compactMap { index -> Entry? in
            let pid = field(index, 0, Int32.self)
            let start = field(index, 8, UInt64.self)
            guard pid > 0, start != 0, let role = ClientRole(rawValue: field(index, 4, UInt32.self)) else { return nil }
            return Entry(slot: index, pid: pid, startTime: start, role: role)
        }
        let records = table.records
        for record in records {
            try require(record.process.pid != 0, "record of slot \(record.slot) has pid 0")
            try require(record.process.startTime != 0, "record of slot \(record.slot) is still registering (start time 0)")
            try require((0..<capacity).contains(record.slot), "record of slot \(record.slot), outside the table")
        }
        let found = records.map { Entry(slot: $0.slot, pid: $0.process.pid, startTime: $0.process.startTime, role: $0.role) }
        try require(found == expected, "records \(found), the layout says \(expected)")

        for index in 0..<capacity {
            let first = field(index, 16, UInt64.self)
            let count = field(index, 24, UInt32.self)
            let held = table.entry(index).held
            guard first != 0 else {
                try require(held == nil, "entry \(index) holds nothing (held first 0) but held is \(String(describing: held))")
                continue
            }
            guard let held else { throw FuzzFailure("entry \(index) holds \(count) from \(first - 1) but held is nil") }
            try require(held.lowerBound == first - 1, "entry \(index): held starts at \(held.lowerBound), recorded \(first - 1)")
            let (end, overflow) = (first - 1).addingReportingOverflow(UInt64(count))
            // Past the last ticket there is nothing to hold: a range cut at the end is right.
            try require(
                overflow ? held.upperBound <= UInt64.max : held.upperBound == end,
                "entry \(index): held ends at \(held.upperBound), recorded \(count) from \(first - 1)")
        }
    }

    // MARK: seeds

    static func seeds() -> [Seed] {
        [
            Seed("empty", []),
            Seed(
                "one-writer-holding-ticket-0",
                table { table, _ in
                    let writer = table.register(ProcessIdentity(pid: 100, startTime: 5), role: .writer)!
                    table.entry(writer).hold(0, count: 1)
                }),
            Seed(
                "writer-and-waiting-reader",
                table { table, _ in
                    _ = table.register(ProcessIdentity(pid: 100, startTime: 5), role: .writer)
                    let reader = table.register(ProcessIdentity(pid: 101, startTime: 6), role: .reader)!
                    table.entry(reader).hold(3, count: 2)
                    table.entry(reader).waiting.store(1, ordering: .relaxed)
                }),
            Seed(
                "full-table",
                table { table, _ in
                    for index in 0..<capacity {
                        let entry = table.register(
                            ProcessIdentity(pid: Int32(200 + index), startTime: UInt64(index + 1)),
                            role: index % 2 == 0 ? .writer : .reader)!
                        table.entry(entry).hold(UInt64(index) * 7, count: index % 4)
                    }
                }),
            Seed(
                "registering-entry",
                table { table, _ in
                    _ = table.register(ProcessIdentity(pid: 102, startTime: 0), role: .reader)
                }),
            Seed(
                "unknown-role",
                table { table, start in
                    let entry = table.register(ProcessIdentity(pid: 103, startTime: 9), role: .writer)!
                    start.storeBytes(of: UInt32(7), toByteOffset: entry * ClientTable.entrySize + 4, as: UInt32.self)
                }),
            Seed(
                "negative-pid-holding-the-last-ticket",
                table { table, _ in
                    let entry = table.register(ProcessIdentity(pid: -5, startTime: 9), role: .reader)!
                    table.entry(entry).hold(UInt64.max - 1, count: 1)
                }),
        ]
    }

    /// The bytes of a table that `fill` wrote (through the table, or raw from its start), cut
    /// after its last entry in use.
    private static func table(_ fill: (ClientTable, UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let buffer = FuzzBuffer(size: Layout.Offset.clients + tableSize)
        fill(ChannelHeader(base: buffer.base).clientTable(capacity: capacity), buffer.base + Layout.Offset.clients)
        let bytes = Array(buffer.bytes[Layout.Offset.clients...])
        var used = capacity
        while used > 0, !bytes[(used - 1) * ClientTable.entrySize..<used * ClientTable.entrySize].contains(where: { $0 != 0 }) {
            used -= 1
        }
        return Array(bytes[..<(used * ClientTable.entrySize)])
    }
}
