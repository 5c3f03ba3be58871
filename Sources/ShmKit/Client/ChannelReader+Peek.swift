import Atomics

/// Reading without consuming, for a reader that may let a message go only once somebody else
/// has it safely (shm-bridge's out direction: once JetStream acknowledged it).
///
/// `peek` lends the published messages at the read cursor *without moving the cursor*; `take`
/// moves the cursor past them and frees their slots. Between the two the messages stay in the
/// ring exactly as the writers left them: same tickets, same slots, and writers a lap behind
/// wait for them. That is what a borrow (`borrow(timeoutSeconds:)`) cannot give: a borrowed
/// message has left the queue, and if its reader dies shmd copies it back in *at the back*, under
/// a new ticket, so a restarted reader could neither keep the order nor recognise a message it
/// had already forwarded. A peeked message that was never taken is simply still there, at the
/// front, under its ticket, for whoever reads next.
///
/// The price: peeking needs the channel to itself. Two readers peeking the same cursor would
/// both forward the same messages; `take` detects another reader's move and throws, and `peek`
/// refuses while another living reader is attached. Only fast queue channels support it: a
/// classic channel's semaphore counts one unit per message taken, and a fan-out reader's cursor
/// dies with its entry.
extension ChannelReader {
    /// Messages `peek` lent: tickets `first ..< first + count`, with the channel's generation so
    /// that `(channel, generation, ticket)` names each message uniquely.
    package struct Peeked: Equatable, Sendable {
        /// The ticket of the first message.
        package let first: UInt64
        /// How many consecutive tickets.
        package let count: Int
        /// The header's generation when they were lent.
        package let generation: UInt64
    }

    /// The channel's generation: incremented each time a daemon takes the channel over.
    package var generation: UInt64 { attached.header.generation }

    /// When shmd created the channel (CLOCK_REALTIME nanoseconds), kept when another daemon
    /// adopts it: a channel made anew, after a clean restart of shmd, starts again at generation
    /// 1 and ticket 0, so only this tells its messages from the old channel's.
    package var createdAt: UInt64 { attached.header.createdAt }

    /// Lends up to `maximum` consecutive published messages at the read cursor without taking
    /// them, waiting up to `timeoutSeconds` (`nil` or +inf: as long as the channel is open) for
    /// the first. Read each with `peekedMessage(_:)`; then `take(_:)` them.
    ///
    /// - Returns: the messages, or `nil` once the channel closed and nothing is left.
    /// - Throws: `ChannelError.invalidUse` on a channel other than a fast queue one, while a
    ///   message is borrowed, or while another reader is attached; `.timedOut`; `.corrupt`;
    ///   `.system`.
    package func peek(maximum: Int, timeoutSeconds timeout: Double?) throws -> Peeked? {
        guard case let .fast(fast) = discipline else {
            throw ChannelError.invalidUse(
                channel: channel,
                reason: "reading without consuming needs a queue channel with protocol = \"fast\" (set it in shmd.toml)")
        }
        guard pendingBorrow == nil else {
            throw ChannelError.invalidUse(channel: channel, reason: "a message is borrowed: release it first")
        }
        if !peekChecked {
            try refuseOtherReaders()
            peekChecked = true
        }
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        let ring = fast.ring
        let header = attached.header
        let ready = Ring.readyPhase(.reader)
        let limit = max(1, min(maximum, Int(ring.slotCount)))
        let attempt: () -> TicketOutcome? = {
            let position = header.readCursor.load(ordering: .acquiring)
            guard ring.phase(position) == ready else { return nil }
            var count = 1
            while count < limit && ring.phase(position &+ UInt64(count)) == ready { count += 1 }
            return .tickets(first: position, count: count)
        }
        do {
            let outcome = try fast.waitFor(
                attempt, more: { false }, waiting: header.readersWaiting, on: attached.full, until: deadline,
                closedWhenEmpty: false)
            switch outcome {
            case let .tickets(first, count): return Peeked(first: first, count: count, generation: header.generation)
            case .closed:
                _ = try attached.endOfStream()
                return nil
            case .timedOut:
                throw ChannelError.timedOut(channel: channel, operation: "peek (channel empty)", seconds: timeout ?? 0)
            case let .corrupt(detail):
                throw ChannelError.corrupt(channel: channel, detail: detail)
            }
        } catch let error as SystemCallError {
            throw attached.failure(error)
        }
    }

    /// The bytes of peeked ticket `ticket`, valid until `take(_:)`; `nil` for a slot a dead
    /// writer left abandoned (no message: take it like the others).
    package func peekedMessage(_ ticket: UInt64) -> UnsafeRawBufferPointer? {
        guard case let .fast(fast) = discipline else { return nil }
        return fast.ring.message(ticket)
    }

    /// Takes the peeked messages: moves the read cursor past them and frees their slots for
    /// writers. The tickets are recorded as held for the moment in between, so that shmd
    /// redelivers them if this process dies right there (the one window in which a message
    /// this reader forwarded can come round again, under a new ticket).
    ///
    /// - Throws: `ChannelError.invalidUse` when the cursor is no longer at `peeked.first`
    ///   (another reader took messages: nothing is taken).
    package func take(_ peeked: Peeked) throws {
        guard case let .fast(fast) = discipline else { return }
        let header = attached.header
        attached.entry.hold(peeked.first, count: peeked.count)
        let end = peeked.first &+ UInt64(peeked.count)
        guard header.readCursor.compareExchange(expected: peeked.first, desired: end, ordering: .sequentiallyConsistent).exchanged else {
            attached.entry.release()
            throw ChannelError.invalidUse(
                channel: channel,
                reason: "another reader took messages from this channel: a reader that peeks must be the channel's only reader")
        }
        for ticket in peeked.first..<end { fast.ring.free(ticket) }
        attached.entry.release()
        attached.header.wake { try fast.freed() }
    }

    /// Throws when another living process is attached to this channel as a reader.
    private func refuseOtherReaders() throws {
        let me = ProcessIdentity.current
        let others = attached.clientTable.records.filter { $0.role == .reader && $0.process != me && $0.process.isAlive }
        if let other = others.first {
            throw ChannelError.invalidUse(
                channel: channel,
                reason: "process \(other.process.pid) reads it too: a reader that peeks must be the channel's only reader; stop the other reader")
        }
    }
}
