import Foundation
import ShmHost
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The repair over an arbitrary header and client table: real ring channels, made once per
/// process, whose shared state (counters, cursors, waiter counts, client table, slot
/// descriptors) each input overwrites before `repairDeadClients` runs on it, as a hostile or
/// broken client could, the geometry fields of the header included: the daemon keeps its own
/// copy of the geometry and must never read the header's.
///
/// Input:
///
///     byte 0    bits 0-1: which channel (fast 4 slots, classic 4, fast 3, classic 3)
///               bits 2-4: units on `empty`, bits 5-7: units on `full` (classic; fast: bit 2
///               picks the fan-out channel of that geometry, `slow-reader = "block"`)
///     byte 1    bits 0-1: sweeps - 1 (the daemon sweeps again and again)
///     then      counters and restored markers (80 bytes), write cursor (8), read cursor (8),
///               writers waiting (4), readers waiting (4), client table (2048),
///               descriptors (16 per slot), [geometry: header size, slot count, slot size,
///               slot stride, 4 bytes each]
///
/// Missing bytes are zero. A client entry's pid 1 stands for this process (pid and start time
/// written in), a living client; any other pid is a dead one, as no other process has the
/// entry's start time (a pid above `/proc/sys/kernel/pid_max` or negative is dead outright).
///
/// Checks: every dead client is repaired and its entry freed, the living stay, each repair
/// counts no more tickets than its entry held and only those of its role, a later sweep finds
/// nothing more, and the sweeps take less than `timeLimit`. libFuzzer's `-timeout` catches a
/// sweep that never returns.
enum RepairFuzz {
    static let configurations: [(proto: ChannelProtocol, slots: Int)] = [(.fast, 4), (.classic, 4), (.fast, 3), (.classic, 3)]
    static let slotSize = 32
    static let livingMarker: Int32 = 1
    /// A daemon sweeps every second by default; a repair must take far less than that.
    static let timeLimit = 1.0

    private struct Region {
        let offset: Int
        let count: Int
    }

    private static let headerRegions = [
        Region(offset: Layout.Offset.counters, count: Layout.Offset.restoredWrite + 8 - Layout.Offset.counters),
        Region(offset: Layout.Offset.writeCursor, count: 8),
        Region(offset: Layout.Offset.readCursor, count: 8),
        Region(offset: Layout.Offset.writersWaiting, count: 4),
        Region(offset: Layout.Offset.readersWaiting, count: 4),
        Region(offset: Layout.Offset.clients, count: Layout.defaultClientCapacity * ClientTable.entrySize),
    ]
    private static let geometryOffsets = [Layout.Offset.headerSize, Layout.Offset.slotCount, Layout.Offset.slotSize, Layout.Offset.slotStride]

    /// The channels, made on first use. Their names are unlinked at once: the mappings and
    /// semaphore handles stay usable, and nothing is left in /dev/shm even when libFuzzer ends
    /// the process on a crash or a timeout, where no atexit handler runs.
    ///
    /// `nonisolated(unsafe)`: libFuzzer calls the target from one thread only, and nothing
    /// else in the process touches these channels.
    nonisolated(unsafe) static let channels: [HostedChannel] = {
        let prefix = "shmfuzz-\(getpid())"
        // The four configurations, then the fan-out channels of the two fast ones.
        let specs: [(ChannelProtocol, Int, Delivery)] =
            configurations.map { ($0.proto, $0.slots, .queue) }
            + configurations.filter { $0.proto == .fast }.map { ($0.proto, $0.slots, .fanout(.block)) }
        return specs.enumerated().map { index, configuration in
            let spec = ChannelSpec(
                name: "repair\(index)",
                layout: .ring(slots: configuration.1, slotSize: slotSize, protocol: configuration.0), delivery: configuration.2)
            do {
                let (channel, _) = try HostedChannel.create(spec: spec, prefix: prefix, daemon: .current, generation: 1)
                for failure in channel.unlink() {
                    printError("fuzz-repair: cannot unlink the scratch channel's objects: \(failure)")
                }
                return channel
            } catch {
                printError("fuzz-repair: cannot create the scratch channel \(prefix).\(spec.name) in /dev/shm: \(error)")
                exit(71)
            }
        }
    }()

    /// One input at a time: all of them rewrite the same channels (libFuzzer calls from one
    /// thread, a test runner may not).
    private static let lock = NSLock()

    static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) {
        lock.lock()
        defer { lock.unlock() }
        let control = input.count > 0 ? input[0] : 0
        let sweeps = 1 + Int((input.count > 1 ? input[1] : 0) & 3)
        let configuration = configurations[Int(control & 3)]
        let fanout = configuration.proto == .fast && control & 4 != 0
        let channel = channels[fanout ? configurations.count + Int(control & 3) / 2 : Int(control & 3)]
        let header = channel.header
        // The geometry and table shmd keeps for the channel, as its repair uses them.
        guard let ring = channel.ring else { throw FuzzFailure("the repair target's channel has no ring") }
        let table = channel.clientTable

        // What earlier inputs left behind is no part of this one.
        channel.pendingRedeliveries = []
        channel.pendingOrphans = []
        while channel.empty.tryWait() {}
        while channel.full.tryWait() {}
        if configuration.proto == .classic {
            for _ in 0..<(control >> 2 & 7) { try? channel.empty.post() }
            for _ in 0..<(control >> 5 & 7) { try? channel.full.post() }
        }

        var next = 2
        func fill(_ destination: UnsafeMutableRawPointer, _ count: Int) {
            destination.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            let available = min(count, max(0, input.count - next))
            if available > 0 { destination.copyMemory(from: input.baseAddress! + next, byteCount: available) }
            next += count
        }
        for region in headerRegions { fill(header.base + region.offset, region.count) }
        fill(ring.descriptors, configuration.slots * Layout.slotDescriptorSize)

        let me = ProcessIdentity.current
        for index in 0..<Layout.defaultClientCapacity where table.entry(index).pid.load(ordering: .relaxed) == livingMarker {
            table.entry(index).pid.store(me.pid, ordering: .relaxed)
            table.entry(index).startTime.store(me.startTime, ordering: .relaxed)
        }
        let geometry = geometryOffsets.map { header.base.load(fromByteOffset: $0, as: UInt32.self) }
        defer {
            for (offset, value) in zip(geometryOffsets, geometry) { header.base.storeBytes(of: value, toByteOffset: offset, as: UInt32.self) }
        }
        do {
            for offset in geometryOffsets where next + 4 <= input.count {
                header.base.storeBytes(of: input.loadUnaligned(fromByteOffset: next, as: UInt32.self), toByteOffset: offset, as: UInt32.self)
                next += 4
            }
        }

        let before = table.records
        let living = before.filter { $0.process.isAlive }
        let dead = before.filter { !living.contains($0) }
        // Read raw rather than through `held`, which is under test itself.
        let heldCounts = Dictionary(
            uniqueKeysWithValues: dead.map { record in
                let entry = table.entry(record.slot)
                return (record.slot, entry.heldFirst.load(ordering: .relaxed) == 0 ? 0 : Int(entry.heldCount.load(ordering: .relaxed)))
            })

        let started = monotonicSeconds()
        let repairs = channel.repairDeadClients()
        for sweep in 1..<sweeps {
            let again = channel.repairDeadClients()
            try require(again.isEmpty, "sweep \(sweep + 1) repaired \(again.map(\.record)) again")
        }
        let elapsed = monotonicSeconds() - started
        try require(elapsed < timeLimit, "\(sweeps) sweeps took \(elapsed) s, more than \(timeLimit) s")

        try require(repairs.map(\.record) == dead, "repaired \(repairs.map(\.record)), the dead clients were \(dead)")
        for repair in repairs {
            let held = heldCounts[repair.record.slot] ?? 0
            try require(
                repair.abandoned + repair.redelivered <= held,
                "\(repair.record) held \(held) tickets, repair counted \(repair.abandoned) abandoned and \(repair.redelivered) redelivered")
            try require(
                repair.record.role == .writer ? repair.redelivered == 0 : repair.abandoned == 0,
                "a \(repair.record.role)'s repair counted \(repair.abandoned) abandoned and \(repair.redelivered) redelivered")
        }
        let after = table.records
        try require(after == living, "after the repair the table lists \(after), the living clients were \(living)")
    }

    private static func monotonicSeconds() -> Double {
        Double(SystemClock.monotonicNanoseconds()) / 1e9
    }

    // MARK: seeds

    /// A pid above Linux's largest possible pid_max (2^22): never a running process.
    static let deadClient = ProcessIdentity(pid: 99_999_999, startTime: 12_345)
    static let livingClient = ProcessIdentity(pid: livingMarker, startTime: 1)

    static func seeds() -> [Seed] {
        [
            seed("fast-dead-writer-took-ticket-0", channel: 0) { header, _ in
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .writer)!
                ).hold(0, count: 1)
                header.writeCursor.store(1, ordering: .relaxed)
            },
            // Classic `empty` starts at 4 for 4 slots; the dead writer had taken one unit.
            seed("classic-dead-writer-took-ticket-0", channel: 1, empty: 3) { header, _ in
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .writer)!
                ).hold(0, count: 1)
                header.writeCursor.store(1, ordering: .relaxed)
            },
            seed("fast-dead-reader-held-a-message", channel: 0, sweeps: 2) { header, ring in
                publish("hello", ticket: 0, ring)
                publish("world", ticket: 1, ring)
                header.writeCursor.store(2, ordering: .relaxed)
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .reader)!
                ).hold(0, count: 1)
                header.readCursor.store(1, ordering: .relaxed)
            },
            // A classic reader takes a ticket as soon as it has a unit, possibly before its
            // message is published: the repair settles it on a later sweep.
            seed("classic-dead-reader-took-ahead", channel: 1, full: 0, sweeps: 3) { header, ring in
                publish("first", ticket: 0, ring)
                header.writeCursor.store(1, ordering: .relaxed)
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .reader)!
                ).hold(1, count: 1)
                header.readCursor.store(2, ordering: .relaxed)
            },
            seed("fast-dead-waiting-reader", channel: 0) { header, _ in
                let entry = header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .reader)!
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(entry).waiting.store(1, ordering: .relaxed)
                header.readersWaiting.store(1, ordering: .relaxed)
            },
            seed("living-and-dead-writer-on-one-ticket", channel: 0) { header, _ in
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(livingClient, role: .writer)!
                ).hold(0, count: 1)
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .writer)!
                ).hold(0, count: 1)
                header.writeCursor.store(1, ordering: .relaxed)
            },
            seed("three-slots-dead-writer-held-all", channel: 2) { header, _ in
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .writer)!
                ).hold(0, count: 3)
                header.writeCursor.store(3, ordering: .relaxed)
            },
            seed("registering-dead-reader", channel: 3) { header, _ in
                _ = header.clientTable(capacity: Layout.defaultClientCapacity).register(ProcessIdentity(pid: deadClient.pid, startTime: 0), role: .reader)
            },
            seed("nothing-attached", channel: 0) { _, _ in },
            // Fan-out: a writer that died between its claim of ticket 4 and its mark left slot 0
            // with ticket 0's message; a dead reader leaves only its cursor.
            seed("fanout-dead-writer-claimed-unmarked", channel: 0, empty: 1) { header, ring in
                for ticket in 0..<4 { publish("m\(ticket)", ticket: UInt64(ticket), ring) }
                header.clientTable(capacity: Layout.defaultClientCapacity).entry(
                    header.clientTable(capacity: Layout.defaultClientCapacity).register(deadClient, role: .writer)!
                ).hold(4, count: 1)
                header.writeCursor.store(5, ordering: .relaxed)
            },
            seed("fanout-dead-reader-at-the-gate", channel: 2, empty: 1) { header, ring in
                for ticket in 0..<3 { publish("m\(ticket)", ticket: UInt64(ticket), ring) }
                let table = header.clientTable(capacity: Layout.defaultClientCapacity)
                table.entry(table.register(deadClient, role: .reader)!).cursor.store(1, ordering: .relaxed)
                table.entry(table.register(livingClient, role: .reader)!).cursor.store(3, ordering: .relaxed)
                header.writeCursor.store(3, ordering: .relaxed)
            },
        ]
    }

    private static func publish(_ text: String, ticket: UInt64, _ ring: Ring) {
        let bytes = Array(text.utf8)
        ring.payload(ticket).copyBytes(from: bytes)
        ring.publish(ticket, length: bytes.count)
    }

    /// An input whose shared state is what `build` made of a fresh channel's header, in the
    /// layout `run` reads.
    private static func seed(
        _ name: String, channel: Int, empty: UInt8 = 0, full: UInt8 = 0, sweeps: Int = 1,
        _ build: (ChannelHeader, Ring) -> Void
    ) -> Seed {
        let configuration = configurations[channel]
        let image = HeaderFuzz.ring(slots: configuration.slots, slotSize: slotSize, proto: configuration.proto)
        let buffer = FuzzBuffer(size: image.count)
        image.withUnsafeBytes { buffer.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let header = ChannelHeader(base: buffer.base)
        let ring = Ring(header: header)
        build(header, ring)
        var bytes: [UInt8] = [UInt8(channel) | empty << 2 | full << 5, UInt8(sweeps - 1)]
        for region in headerRegions {
            bytes += UnsafeRawBufferPointer(start: header.base + region.offset, count: region.count)
        }
        bytes += UnsafeRawBufferPointer(start: ring.descriptors, count: configuration.slots * Layout.slotDescriptorSize)
        return Seed(name, bytes)
    }
}
