import Atomics

/// The seed's protocol over N slots: a writer takes one unit of `empty` per message and gives
/// one of `full`; a reader the reverse. Every message costs a semaphore pair, and a wake-up
/// whenever the other side sleeps, which is most of the time on an idle-ish machine.
struct ClassicRing {
    let ring: Ring
    let attached: AttachedChannel

    /// Waits for a free slot and takes its ticket.
    func claimWrite(until deadline: Deadline?) throws -> TicketOutcome {
        if attached.header.isClosing { return .closed }
        switch try SlicedWait.acquire(attached.empty, until: deadline, isClosing: { attached.header.isClosing }, isClosed: { attached.isClosed }) {
        case .timedOut: return .timedOut
        case .closed:
            attached.relayClose(on: attached.empty)
            return .closed
        case .acquired:
            if attached.header.isClosing {
                attached.relayClose(on: attached.empty)
                return .closed
            }
        }
        let ticket = attached.header.writeCursor.loadThenWrappingIncrement(ordering: .relaxed)
        // The unit of `empty` says some slot is free; ours may still be in a slower reader's hands.
        let ready = SlicedWait.until({ ring.isFree(ticket) }, deadline: nil, isClosed: { attached.isClosed })
        return ready == .acquired ? .tickets(first: ticket, count: 1) : .closed
    }

    /// Tells readers about `count` published slots.
    func published(_ count: Int) throws {
        for _ in 0..<count { try attached.full.post() }
    }

    /// Waits for a published message and takes its ticket. After the channel closed, takes what
    /// is left without the semaphores, whose counts no longer mean anything once the daemon
    /// posted to wake everyone.
    func claimRead(until deadline: Deadline?) throws -> TicketOutcome {
        switch try SlicedWait.acquire(attached.full, until: deadline, isClosing: { attached.header.isClosing }, isClosed: { attached.isClosed }) {
        case .timedOut: return .timedOut
        case .acquired where !attached.header.isClosing:
            let ticket = attached.header.readCursor.loadThenWrappingIncrement(ordering: .relaxed)
            let ready = SlicedWait.until({ ring.isPublished(ticket) }, deadline: nil, isClosed: { attached.isClosed })
            return ready == .acquired ? .tickets(first: ticket, count: 1) : drainClosed()
        case .acquired, .closed:
            attached.relayClose(on: attached.full)
            return drainClosed()
        }
    }

    /// Tells writers about `count` freed slots.
    func freed(_ count: Int) throws {
        for _ in 0..<count { try attached.empty.post() }
    }

    private func drainClosed() -> TicketOutcome {
        let cursor = attached.header.readCursor
        while true {
            let next = cursor.load(ordering: .acquiring)
            guard next < attached.header.writeCursor.load(ordering: .acquiring) else { return .closed }
            guard cursor.compareExchange(expected: next, desired: next &+ 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            // A writer that took this ticket before the close is at most a copy away; one that
            // died holding it never publishes, so the wait is bounded.
            let ready = SlicedWait.until({ ring.isPublished(next) }, deadline: Deadline.after(seconds: 1), isClosed: { false })
            if ready == .acquired { return .tickets(first: next, count: 1) }
        }
    }
}
