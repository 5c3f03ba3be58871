import Atomics

/// Puts back a classic-protocol semaphore unit that a killed client took with it.
///
/// In the classic protocol every message is a unit of `full` and every free slot a unit of
/// `empty`, and each unit moves together with a cursor or slot update. A client killed between
/// the two (after its `sem_wait` and before its claim, or after publishing or freeing and before
/// its `sem_post`) leaves the ring one unit short: a message nobody is woken for, or a free slot
/// no writer may take. No record can close that window, since a semaphore operation and a store
/// are never one atomic step, so the waiters watch for its effect instead.
///
/// A waiter calls `afterSlice` each time a slice of its wait passes without a unit. When it finds
/// the same ticket ready at the cursor (a published message, or a free slot) two slices in a
/// row, while the semaphore says nothing is ready, the unit is lost: nobody has taken that ticket
/// for a whole slice although it was there to take. It posts the unit once; a marker in the
/// header (the ticket, compare-and-swapped) makes sure that only one of several waiters does so
/// per ticket. A client that merely stalled a whole slice inside the window (preempted) would make
/// this one unit too many; the cost is then a later waiter that claims a ticket before it is ready
/// and waits for it in `SlicedWait.until`, which backs off to sleeping.
struct LostUnitWatch {
    private let cursor: UnsafeAtomic<UInt64>
    private let marker: UnsafeAtomic<UInt64>
    private let semaphore: NamedSemaphore
    private let header: ChannelHeader
    private let isReady: (UInt64) -> Bool
    private var seen: UInt64?

    /// A watch over the readers' side: messages published at `readCursor`, units of `full`.
    static func readers(ring: Ring, attached: AttachedChannel) -> LostUnitWatch {
        LostUnitWatch(cursor: attached.header.readCursor, marker: attached.header.restoredRead, semaphore: attached.full,
                      header: attached.header, isReady: { ring.isPublished($0) }, seen: nil)
    }

    /// A watch over the writers' side: free slots at `writeCursor`, units of `empty`.
    static func writers(ring: Ring, attached: AttachedChannel) -> LostUnitWatch {
        LostUnitWatch(cursor: attached.header.writeCursor, marker: attached.header.restoredWrite, semaphore: attached.empty,
                      header: attached.header, isReady: { ring.isFree($0) }, seen: nil)
    }

    /// Looks once more; posts the lost unit when the same ticket has been waiting since the last
    /// look.
    ///
    /// - Throws: `SystemCallError` from `sem_post`.
    mutating func afterSlice() throws {
        let ticket = cursor.load(ordering: .sequentiallyConsistent)
        guard isReady(ticket) else {
            seen = nil
            return
        }
        defer { seen = ticket }
        guard seen == ticket, semaphore.value <= 0 else { return }
        let mark = ticket &+ 1
        let last = marker.load(ordering: .relaxed)
        guard last != mark,
              marker.compareExchange(expected: last, desired: mark, ordering: .sequentiallyConsistent).exchanged else { return }
        try semaphore.post()
        header.increment(.restoredUnits)
    }
}
