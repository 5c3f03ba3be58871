import Atomics

/// Role of an attached client, as recorded in the header.
public enum ClientRole: UInt32, Sendable, CustomStringConvertible {
    case writer = 1
    case reader = 2

    public var description: String { self == .writer ? "writer" : "reader" }
}

/// One attached client as recorded in the header's client table.
public struct ClientRecord: Equatable, Sendable {
    public let slot: Int
    public let process: ProcessIdentity
    public let role: ClientRole
}

/// The table of attached clients in the header (64 entries of 32 bytes): who is attached, so that
/// `shmctl` can show them and the daemon can notice the dead.
///
/// Entry: pid i32 (0 = free, claimed by compare-and-swap), role u32, start time u64,
/// attach time u64, reserved u64.
struct ClientTable {
    static let capacity = 64
    static let entrySize = 32
    let base: UnsafeMutableRawPointer

    /// Claims a free entry for `process`.
    ///
    /// - Returns: the entry's index, or `nil` when the table is full.
    func register(_ process: ProcessIdentity, role: ClientRole) -> Int? {
        for index in 0..<Self.capacity {
            let entry = base + index * Self.entrySize
            let (claimed, _) = pid(entry).compareExchange(expected: 0, desired: process.pid, ordering: .acquiringAndReleasing)
            guard claimed else { continue }
            entry.storeBytes(of: role.rawValue, toByteOffset: 4, as: UInt32.self)
            startTime(entry).store(process.startTime, ordering: .releasing)
            return index
        }
        return nil
    }

    /// Frees entry `index`, if it still belongs to `process`.
    func unregister(_ index: Int, process: ProcessIdentity) {
        let entry = base + index * Self.entrySize
        startTime(entry).store(0, ordering: .relaxed)
        _ = pid(entry).compareExchange(expected: process.pid, desired: 0, ordering: .releasing)
    }

    /// The entries in use whose registration is complete.
    var records: [ClientRecord] {
        (0..<Self.capacity).compactMap { index in
            let entry = base + index * Self.entrySize
            let owner = pid(entry).load(ordering: .acquiring)
            let started = startTime(entry).load(ordering: .acquiring)
            guard owner != 0, started != 0,
                  let role = ClientRole(rawValue: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            else { return nil }
            return ClientRecord(slot: index, process: ProcessIdentity(pid: owner, startTime: started), role: role)
        }
    }

    private func pid(_ entry: UnsafeMutableRawPointer) -> UnsafeAtomic<Int32> {
        UnsafeAtomic(at: entry.assumingMemoryBound(to: Int32.AtomicRepresentation.self))
    }

    private func startTime(_ entry: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (entry + 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }
}
