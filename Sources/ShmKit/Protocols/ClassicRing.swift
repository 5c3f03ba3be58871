import Atomics

/// The seed's protocol over N slots: a writer takes one unit of `empty` per message and gives
/// one of `full`; a reader the reverse. Every message costs a semaphore pair, and a wake-up
/// whenever the other side sleeps, which is most of the time on an idle-ish machine.
struct ClassicRing {
    let ring: Ring
    /// `unowned(unsafe)`: the writer or reader that holds this discipline also holds the
    /// attachment, strongly, for as long as it holds the discipline, so the reference cannot
    /// dangle; and copying the discipline out of its enum on every operation then costs no
    /// reference counting (an atomic increment and decrement per call, measurable at 1 KiB).
    unowned(unsafe) let attached: AttachedChannel

    /// Waits for a free slot and takes its ticket.
    func claimWrite(until deadline: Deadline?) throws -> TicketOutcome {
        if attached.header.isClosing { return .closed }
        var watch = LostUnitWatch(.writer, ring: ring, attached: attached)
        switch try SlicedWait.acquire(
            attached.empty, until: deadline, isClosing: { attached.header.isClosing },
            isClosed: { attached.isClosed }, afterSlice: { try watch.afterSlice() })
        {
        case .timedOut: return .timedOut
        case let .corrupt(detail): return .corrupt(detail)
        case .closed:
            attached.relayClose(on: attached.empty)
            return .closed
        case .acquired:
            if attached.header.isClosing {
                attached.relayClose(on: attached.empty)
                return .closed
            }
        }
        let ticket = claim(attached.header.writeCursor)
        // The unit of `empty` says some slot is free; ours may still be in a slower reader's hands.
        switch SlicedWait.until(
            { ring.isFree(ticket) }, deadline: nil, isClosed: { attached.isClosed },
            isCorrupt: { ahead(ticket, .writer) })
        {
        case .acquired: break
        case let .corrupt(detail): return .corrupt(detail)
        case .closed, .timedOut: return .closed
        }
        // A close that overtook the claim: give the slot up (published as abandoned, with its
        // unit of `full`, so readers stay in step) rather than deliver into a closed channel.
        if attached.header.isClosing {
            ring.abandon(from: ticket)
            try published(1)
            attached.relayClose(on: attached.empty)
            return .closed
        }
        return .tickets(first: ticket, count: 1)
    }

    /// Tells readers about `count` published slots.
    func published(_ count: Int) throws {
        for _ in 0..<count { try attached.full.post() }
    }

    /// Waits for a published message and takes its ticket. After the channel closed, takes what
    /// is left without the semaphores, whose counts no longer mean anything once the daemon
    /// posted to wake everyone.
    func claimRead(until deadline: Deadline?) throws -> TicketOutcome {
        var watch = LostUnitWatch(.reader, ring: ring, attached: attached)
        switch try SlicedWait.acquire(
            attached.full, until: deadline, isClosing: { attached.header.isClosing },
            isClosed: { attached.isClosed }, afterSlice: { try watch.afterSlice() })
        {
        case .timedOut: return .timedOut
        case let .corrupt(detail): return .corrupt(detail)
        case .acquired where !attached.header.isClosing:
            let ticket = claim(attached.header.readCursor)
            switch SlicedWait.until(
                { ring.isPublished(ticket) }, deadline: nil, isClosed: { attached.isClosed },
                isCorrupt: { ahead(ticket, .reader) })
            {
            case .acquired: return .tickets(first: ticket, count: 1)
            case let .corrupt(detail): return .corrupt(detail)
            case .closed, .timedOut: break
            }
            // Closed while this ticket's writer was still copying: it is ours, give it the same
            // second a draining reader gives any ticket before moving on.
            if SlicedWait.until({ ring.isPublished(ticket) }, deadline: Deadline.after(seconds: GracePeriod.closingWriterSeconds), isClosed: { false })
                == .acquired
            {
                return .tickets(first: ticket, count: 1)
            }
            return drainClosed()
        case .acquired, .closed:
            attached.relayClose(on: attached.full)
            return drainClosed()
        }
    }

    /// Takes the next ticket of `cursor`, recording it as held first (a compare-and-swap rather
    /// than an increment, so that the record always names the ticket before it is taken).
    private func claim(_ cursor: UnsafeAtomic<UInt64>) -> UInt64 {
        var ticket = cursor.load(ordering: .relaxed)
        while true {
            attached.entry.hold(ticket, count: 1)
            let (exchanged, actual) = cursor.weakCompareExchange(
                expected: ticket, desired: ticket &+ 1, successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed)
            if exchanged { return ticket }
            ticket = actual
        }
    }

    /// Tells writers about `count` freed slots.
    func freed(_ count: Int) throws {
        for _ in 0..<count { try attached.empty.post() }
    }

    /// The corruption that keeps the slot of `ticket`, which this client holds, from ever being
    /// ready for it: the slot already past its turn (a writer's freed or filled, a reader's
    /// freed for a later lap), which only a write from outside the protocol can do.
    private func ahead(_ ticket: UInt64, _ role: ClientRole) -> String? {
        ring.phase(ticket) > Ring.readyPhase(role) ? ring.describeAhead(ticket, role: role) : nil
    }

    private func drainClosed() -> TicketOutcome {
        let cursor = attached.header.readCursor
        while true {
            let next = cursor.load(ordering: .acquiring)
            let end = attached.header.writeCursor.load(ordering: .sequentiallyConsistent)
            guard next < end else { return .closed }
            // At most a lap can be written and not read; more is a cursor written from outside,
            // which would keep this loop waiting a second per ticket for billions of tickets.
            if end - next > ring.slotCount {
                return .corrupt("the write cursor \(end) is more than \(ring.slotCount) slots ahead of the read cursor \(next)")
            }
            attached.entry.hold(next, count: 1)
            guard cursor.compareExchange(expected: next, desired: next &+ 1, ordering: .sequentiallyConsistent).exchanged else { continue }
            // A writer that took this ticket before the close is at most a copy away; one that
            // died holding it never publishes, so the wait is bounded.
            let ready = SlicedWait.until({ ring.isPublished(next) }, deadline: Deadline.after(seconds: GracePeriod.closingWriterSeconds), isClosed: { false })
            if ready == .acquired { return .tickets(first: next, count: 1) }
        }
    }
}
