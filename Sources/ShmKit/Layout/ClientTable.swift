import Atomics

/// Role of an attached client, as recorded in the header.
public enum ClientRole: UInt32, Sendable, CustomStringConvertible {
    /// A ``ChannelWriter``: it puts messages into the channel.
    case writer = 1
    /// A ``ChannelReader``: it takes messages out of the channel.
    case reader = 2

    /// `writer` or `reader`, as shmd's log lines name the role.
    public var description: String { self == .writer ? "writer" : "reader" }
}

/// One attached client as recorded in the header's client table.
public struct ClientRecord: Equatable, Sendable {
    /// The client's entry in the channel's client table: 0 up to `max-clients` - 1.
    public let slot: Int
    /// The attached process: its pid and start time, so that a pid the kernel gave to another
    /// process since is not taken for this client.
    public let process: ProcessIdentity
    /// Whether the client attached as a writer or as a reader.
    public let role: ClientRole
}

/// The table of attached clients in the header: who is attached, so that `shmctl`-style tools
/// can show them, and what each one holds, so that the daemon can repair what a dead one left.
///
/// Entry, 64 bytes so that no two clients share a cache line:
///
///     0   pid        i32  0 = free, claimed by compare-and-swap
///     4   role       u32
///     8   startTime  u64  0 while registering
///     16  heldFirst  u64  first ticket held + 1, 0 for none; set *before* the claim
///     24  heldCount  u32
///     28  waiting    u32  1 while counted in writersWaiting/readersWaiting
///     32  seenHeld   u64  shmd's sweep: the heldFirst it saw last (0: none)
///     40  heldSince  u64  shmd's sweep: CLOCK_MONOTONIC ns when it first saw seenHeld
///     48  cursor     u64  fan-out reader: next ticket it reads + 1, 0 until it joined
///     56  lost       u64  fan-out reader: messages it skipped because writers lapped it
///
/// The client writes 0 to 31 (a fan-out reader 48 to 63 instead) on its hot path; only shmd writes 32 to 47, once a sweep, so that
/// telling how long a slot has been held costs the client nothing (no clock read per message).
/// Package access: the fuzz targets read arbitrary tables through it and build seed tables with it.
package struct ClientTable {
    package static let entrySize = 64
    let base: UnsafeMutableRawPointer
    /// Entries in the table (`max-clients`).
    package let capacity: Int

    /// Claims a free entry for `process`.
    ///
    /// - Returns: the entry's index, or `nil` when the table is full.
    package func register(_ process: ProcessIdentity, role: ClientRole) -> Int? {
        for index in 0..<capacity {
            let entry = self.entry(index)
            let (claimed, _) = entry.pid.compareExchange(expected: 0, desired: process.pid, ordering: .acquiringAndReleasing)
            guard claimed else { continue }
            entry.base.storeBytes(of: role.rawValue, toByteOffset: 4, as: UInt32.self)
            entry.heldFirst.store(0, ordering: .relaxed)
            entry.waiting.store(0, ordering: .relaxed)
            entry.seenHeld.store(0, ordering: .relaxed)
            entry.cursor.store(0, ordering: .relaxed)
            entry.lost.store(0, ordering: .relaxed)
            entry.startTime.store(process.startTime, ordering: .releasing)
            return index
        }
        return nil
    }

    /// Frees entry `index`, if it still belongs to `process`.
    package func unregister(_ index: Int, process: ProcessIdentity) {
        let entry = self.entry(index)
        entry.startTime.store(0, ordering: .relaxed)
        // Before the pid: a fan-out writer that still sees the pid then sees no cursor, and stops
        // waiting for this reader.
        entry.cursor.store(0, ordering: .releasing)
        _ = entry.pid.compareExchange(expected: process.pid, desired: 0, ordering: .releasing)
    }

    package func entry(_ index: Int) -> ClientEntry {
        ClientEntry(base: base + index * Self.entrySize)
    }

    /// The entries in use whose registration is complete.
    package var records: [ClientRecord] {
        (0..<capacity).compactMap { index in
            let entry = self.entry(index)
            let owner = entry.pid.load(ordering: .acquiring)
            let started = entry.startTime.load(ordering: .acquiring)
            guard owner > 0, started != 0, let role = entry.role else { return nil }
            return ClientRecord(slot: index, process: ProcessIdentity(pid: owner, startTime: started), role: role)
        }
    }
}

/// One client's entry: where it records the tickets it holds and whether it sleeps.
/// Package access: the fuzz targets check every entry's held range.
///
/// `@unchecked Sendable`: its stored property is the entry's address, fixed at init, and every
/// field of the entry is read and written through `UnsafeAtomic` (other processes, shmd among
/// them, read it at any time).
package struct ClientEntry: @unchecked Sendable {
    let base: UnsafeMutableRawPointer

    package var pid: UnsafeAtomic<Int32> { UnsafeAtomic(at: base.assumingMemoryBound(to: Int32.AtomicRepresentation.self)) }
    package var startTime: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }
    package var heldFirst: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 16).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }
    package var heldCount: UnsafeAtomic<UInt32> { UnsafeAtomic(at: (base + 24).assumingMemoryBound(to: UInt32.AtomicRepresentation.self)) }
    package var waiting: UnsafeAtomic<UInt32> { UnsafeAtomic(at: (base + 28).assumingMemoryBound(to: UInt32.AtomicRepresentation.self)) }
    package var role: ClientRole? { ClientRole(rawValue: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
    /// shmd's record of what it saw held (`heldFirst` as it was) and since when; see the table.
    package var seenHeld: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 32).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }
    package var heldSince: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 40).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }
    /// A fan-out reader's position: the next ticket it reads + 1, 0 before it joined (and for
    /// every other client). Written only by the reader; fan-out writers that block for slow
    /// readers take the least of these.
    package var cursor: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 48).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }
    /// A fan-out reader's count of messages it lost to writers that lapped it.
    package var lost: UnsafeAtomic<UInt64> { UnsafeAtomic(at: (base + 56).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)) }

    /// What shmd's stuck watch takes this client to hold, as `heldFirst` encodes it (first
    /// ticket + 1, 0 for nothing): the tickets it holds; or, for a reader of a fan-out channel
    /// whose writers wait for slow readers, the slot at its cursor once the writers have gone a
    /// whole ring past it, since then it holds them all back without holding any slot.
    ///
    /// - Parameter gate: for such a reader, the channel's write cursor and slot count.
    package func holdingMark(gate: (written: UInt64, slots: UInt64)?) -> UInt64 {
        guard let gate else { return heldFirst.load(ordering: .acquiring) }
        let mark = cursor.load(ordering: .acquiring)
        return mark != 0 && gate.written &- (mark - 1) >= gate.slots ? mark : 0
    }

    /// How long the current holding (`holdingMark`) has been held, as shmd's sweeps saw it, in
    /// nanoseconds: `nil` when nothing is held or shmd has not seen this holding yet.
    package func heldFor(now: UInt64, gate: (written: UInt64, slots: UInt64)? = nil) -> UInt64? {
        let held = holdingMark(gate: gate)
        guard held != 0, seenHeld.load(ordering: .acquiring) == held else { return nil }
        let since = heldSince.load(ordering: .relaxed)
        return now >= since ? now - since : 0
    }

    /// Records tickets `first ..< first + count` as about to be held. Called before the claim,
    /// so that a client killed right after it still says what it held.
    @inline(__always)
    package func hold(_ first: UInt64, count: Int) {
        heldCount.store(UInt32(count), ordering: .relaxed)
        // Relaxed is enough: the claim that follows is a sequentially consistent compare-and-swap,
        // which publishes this store before the ticket can be seen taken.
        heldFirst.store(first &+ 1, ordering: .relaxed)
    }

    /// Nothing held any more: every held slot was published or freed.
    @inline(__always)
    func release() {
        heldFirst.store(0, ordering: .releasing)
    }

    /// The tickets recorded as held, if any, as written: any process with write access may have
    /// written anything here, so the range is only computed without overflow, never trusted.
    /// The daemon clamps it to one lap behind the cursor before it acts on it.
    package var held: Range<UInt64>? {
        let first = heldFirst.load(ordering: .acquiring)
        guard first != 0 else { return nil }
        let start = first - 1
        let (end, overflow) = start.addingReportingOverflow(UInt64(heldCount.load(ordering: .relaxed)))
        return start..<(overflow ? UInt64.max : end)
    }
}
