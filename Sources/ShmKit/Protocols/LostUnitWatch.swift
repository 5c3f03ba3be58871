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
/// A waiter calls `afterSlice` each time a slice of its wait passes without a unit. It posts the
/// missing unit when all of these hold:
/// - the same ticket has been ready at the cursor (a published message, or a free slot) since
///   its last look, a whole slice, while the semaphore says nothing is ready;
/// - no client of its side is waiting on an earlier ticket: a classic client claims the next
///   ticket as soon as it has a unit, which may be the unit of a later ticket, so a slow writer
///   still filling ticket t, or a slow reader still holding the slot a writer claimed, makes the
///   ticket after it look stranded while its unit is merely in use;
/// - fewer units have been restored than shmd has found dead clients (`deadClients`): one death
///   loses one unit at most, and no death loses none, whatever a stalled client looks like;
/// - no other waiter has restored this ticket's unit already (a marker in the header, moved
///   forward only, by compare-and-swap).
struct LostUnitWatch {
    /// Whose wait this watches: writers (free slots at `writeCursor`, units of `empty`) or
    /// readers (published messages at `readCursor`, units of `full`).
    private let role: ClientRole
    private let ring: Ring
    /// Held so that the mapping `ring` points into stays.
    private let attached: AttachedChannel
    private var seen: UInt64?

    init(_ role: ClientRole, ring: Ring, attached: AttachedChannel) {
        self.role = role
        self.ring = ring
        self.attached = attached
    }

    private var header: ChannelHeader { attached.header }
    private var semaphore: NamedSemaphore { role == .reader ? attached.full : attached.empty }
    private var cursor: UnsafeAtomic<UInt64> { role == .reader ? header.readCursor : header.writeCursor }
    private var marker: UnsafeAtomic<UInt64> { role == .reader ? header.restoredRead : header.restoredWrite }

    /// Looks once more; posts the lost unit when the conditions above hold.
    ///
    /// - Throws: `SystemCallError` from `sem_post`.
    mutating func afterSlice() throws {
        let ticket = cursor.load(ordering: .sequentiallyConsistent)
        let ready = Ring.readyPhase(role)
        guard ring.phase(ticket) == ready else {
            seen = nil
            return
        }
        defer { seen = ticket }
        guard seen == ticket, semaphore.value <= 0, !someoneWaits(before: ticket, ready: ready) else { return }
        guard takeRestoreAllowance() else { return }
        let mark = ticket &+ 1
        let last = marker.load(ordering: .relaxed)
        guard last < mark, marker.compareExchange(expected: last, desired: mark, ordering: .sequentiallyConsistent).exchanged else {
            header.decrement(.restoredUnits) // another waiter restored this one
            return
        }
        try semaphore.post()
    }

    /// Whether a client of this side holds a ticket among the last lap before `ticket` and
    /// still waits for it to be ready: a reader for its message, a writer for its slot.
    private func someoneWaits(before ticket: UInt64, ready: Int64) -> Bool {
        let lap = min(ticket, ring.slotCount)
        return ((ticket - lap)..<ticket).contains { ring.phase($0) < ready }
    }

    /// Counts one more restored unit if that stays within the number of dead clients found.
    private func takeRestoreAllowance() -> Bool {
        let restored = header.atomicCounter(.restoredUnits)
        var current = restored.load(ordering: .relaxed)
        while current < header.counter(.deadClients) {
            let (done, actual) = restored.compareExchange(expected: current, desired: current + 1, ordering: .sequentiallyConsistent)
            if done { return true }
            current = actual
        }
        return false
    }
}
