/// The in-place write in two calls, for callers that cannot pass a closure (the C API): claim
/// a slot, fill it, commit it (or give it up). Between the two calls the writer holds the slot:
/// readers behind it wait, and shmd abandons it if the process dies.
extension ChannelWriter {
    /// Claims a free slot and returns its payload area (`maximumMessageSize` bytes), waiting up
    /// to `timeout` seconds (`nil` or +inf: as long as the channel is open).
    ///
    /// - Throws: `ChannelError.invalidArgument` when a slot is already claimed or `timeout` is
    ///   nan or negative; otherwise as `writeBatch(maximum:timeoutSeconds:_:)`.
    package func claim(timeoutSeconds timeout: Double?) throws -> UnsafeMutableRawBufferPointer {
        guard pendingClaim == nil else {
            throw ChannelError.invalidUse(channel: channel, reason: "a slot is already claimed: commit or abandon it first")
        }
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        attached.tracked?.beginOperation()
        do {
            let area: UnsafeMutableRawBufferPointer
            switch discipline {
            case let .fast(fast):
                let ticket = try Self.ticket(try fast.claimWrite(maximum: 1, until: deadline), attached: attached, timeout: timeout)
                pendingClaim = ticket
                area = fast.ring.payload(ticket)
            case let .fanout(fanout):
                let ticket = try Self.ticket(try fanout.claimWrite(maximum: 1, until: deadline), attached: attached, timeout: timeout)
                pendingClaim = ticket
                area = fanout.ring.payload(ticket)
            case let .classic(classic):
                let ticket = try Self.ticket(try classic.claimWrite(until: deadline), attached: attached, timeout: timeout)
                pendingClaim = ticket
                area = classic.ring.payload(ticket)
            case let .seed(seed):
                area = try seed.claim(until: deadline, timeout: timeout)
                pendingClaim = 0
            }
            return area
        } catch {
            attached.entry.release()
            attached.tracked?.endOperation()
            throw attached.failure(error)
        }
    }

    /// Publishes the claimed slot with its first `length` bytes as the message.
    ///
    /// - Throws: `ChannelError.invalidUse` without a claim; `.messageTooLarge` when `length` is
    ///   more than the slot holds, `.unrepresentable` for a NUL byte on a seed-layout channel (in
    ///   both, the slot stays claimed: commit a valid message or abandon it).
    package func commit(length: Int) throws {
        guard let ticket = pendingClaim else {
            throw ChannelError.invalidUse(channel: channel, reason: "no slot is claimed: claim one first")
        }
        guard length >= 0 && length <= attached.slotSize else {
            throw ChannelError.messageTooLarge(channel: channel, size: length, limit: attached.slotSize)
        }
        if case let .seed(seed) = discipline {
            // Refused while the buffer is still claimed, as a length too large is.
            try seed.checkRepresentable(UnsafeRawBufferPointer(start: seed.buffer.base, count: length))
        }
        pendingClaim = nil
        defer { attached.tracked?.endOperation() }
        switch discipline {
        case let .fast(fast):
            fast.ring.publish(ticket, length: length)
            attached.entry.release()
            attached.header.wake { try fast.published() }
        case let .fanout(fanout):
            fanout.ring.publish(ticket, length: length)
            attached.entry.release()
            attached.header.wake { try fanout.published(ticket, count: 1) }
        case let .classic(classic):
            classic.ring.publish(ticket, length: length)
            attached.entry.release()
            attached.header.wake { try classic.published(1) }
        case let .seed(seed):
            do {
                try seed.publish(length: length)
            } catch {
                throw attached.failure(error)
            }
        }
    }

    /// Gives the claimed slot up: published as abandoned (readers skip it), or on a seed
    /// channel handed back untouched. Does nothing without a claim.
    package func abandonClaim() {
        guard let ticket = pendingClaim else { return }
        pendingClaim = nil
        defer { attached.tracked?.endOperation() }
        switch discipline {
        case let .fast(fast):
            fast.ring.abandon(from: ticket)
            attached.entry.release()
            attached.header.wake { try fast.published() }
        case let .fanout(fanout):
            fanout.ring.abandon(from: ticket)
            attached.entry.release()
            attached.header.wake { try fanout.published(ticket, count: 1) }
        case let .classic(classic):
            classic.ring.abandon(from: ticket)
            attached.entry.release()
            attached.header.wake { try classic.published(1) }
        case let .seed(seed):
            seed.giveBack()
        }
    }

    /// Whether a slot is claimed and not yet committed or abandoned.
    package var hasClaim: Bool { pendingClaim != nil }

    private static func ticket(_ outcome: TicketOutcome, attached: AttachedChannel, timeout: Double?) throws -> UInt64 {
        switch outcome {
        case let .tickets(first, _): return first
        case .closed: throw attached.closure
        case .timedOut: throw ChannelError.timedOut(channel: attached.channel, operation: "send (channel full)", seconds: timeout ?? 0)
        case let .corrupt(detail): throw ChannelError.corrupt(channel: attached.channel, detail: detail)
        }
    }
}
