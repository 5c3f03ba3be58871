/// The borrowed receive in two calls, for callers that cannot pass a closure (the C API):
/// borrow the next message, read it in place, release it. Between the two calls the reader
/// holds the slot: writers a lap behind wait, and shmd redelivers the message if the process
/// dies.
extension ChannelReader {
    /// Takes the next message and returns its bytes, valid until `releaseBorrowed()`, waiting up
    /// to `timeout` seconds (`nil` or +inf: as long as the channel is open).
    ///
    /// - Returns: the message, or `nil` once shmd closed the channel and nothing is left.
    /// - Throws: `ChannelError.invalidUse` when a message is already borrowed;
    ///   `.invalidArgument` for a nan or negative `timeout`; otherwise as
    ///   `receiveBatch(maximum:timeoutSeconds:_:)`.
    package func borrow(timeoutSeconds timeout: Double?) throws -> UnsafeRawBufferPointer? {
        guard pendingBorrow == nil else {
            throw ChannelError.invalidUse(channel: channel, reason: "a message is already borrowed: release it first")
        }
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        attached.tracked?.beginOperation()
        do {
            while true {
                let outcome: TicketOutcome
                let ring: Ring
                switch discipline {
                case let .fanout(fanout):
                    switch try borrowFanout(fanout, until: deadline, timeout: timeout) {
                    case let .lent(message): return message
                    case .again: continue
                    case .ended: return nil
                    }
                case let .fast(fast):
                    (outcome, ring) = (try fast.claimRead(maximum: 1, until: deadline), fast.ring)
                case let .classic(classic):
                    (outcome, ring) = (try classic.claimRead(until: deadline), classic.ring)
                case let .seed(seed):
                    guard let message = try seed.borrow(until: deadline, timeout: timeout) else {
                        attached.tracked?.endOperation()
                        return nil
                    }
                    pendingBorrow = 0
                    return message
                }
                switch outcome {
                case let .tickets(ticket, _):
                    guard let message = ring.message(ticket) else {
                        // An abandoned slot: free it and look again.
                        ring.free(ticket)
                        wakeWriters()
                        continue
                    }
                    pendingBorrow = ticket
                    return message
                case .closed:
                    attached.entry.release()
                    attached.tracked?.endOperation()
                    _ = try attached.endOfStream()
                    return nil
                case .timedOut:
                    throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
                case let .corrupt(detail):
                    throw ChannelError.corrupt(channel: channel, detail: detail)
                }
            }
        } catch {
            attached.entry.release()
            attached.tracked?.endOperation()
            throw attached.failure(error)
        }
    }

    /// Frees the borrowed message's slot for writers.
    ///
    /// - Throws: `ChannelError.invalidUse` when no message is borrowed.
    package func releaseBorrowed() throws {
        guard let ticket = pendingBorrow else {
            throw ChannelError.invalidUse(channel: channel, reason: "no message is borrowed: borrow one first")
        }
        pendingBorrow = nil
        defer { attached.tracked?.endOperation() }
        switch discipline {
        case let .fanout(fanout):
            attached.header.wake { try fanout.consumed(upTo: ticket &+ 1) }
            return
        case let .fast(fast):
            fast.ring.free(ticket)
        case let .classic(classic):
            classic.ring.free(ticket)
        case let .seed(seed):
            seed.releaseBorrowed()
            return
        }
        wakeWriters()
    }

    /// Whether a message is borrowed and not yet released.
    package var hasBorrow: Bool { pendingBorrow != nil }

    private enum FanoutBorrow {
        /// In place, or a checked copy.
        case lent(UnsafeRawBufferPointer)
        /// An abandoned slot, or one lapped while it was copied: look again.
        case again
        /// The channel closed and nothing is left.
        case ended
    }

    /// One try at borrowing from a fan-out channel.
    private func borrowFanout(_ fanout: FanoutRing, until deadline: Deadline?, timeout: Double?) throws -> FanoutBorrow {
        switch try fanout.claimRead(maximum: 1, until: deadline) {
        case let .tickets(ticket, _):
            switch fanout.message(ticket) {
            case .lapped: return .again
            case .message(nil):
                attached.header.wake { try fanout.consumed(upTo: ticket &+ 1) }
                return .again
            case let .message(message?):
                pendingBorrow = ticket
                return .lent(message)
            }
        case .closed:
            attached.tracked?.endOperation()
            _ = try attached.endOfStream()
            return .ended
        case .timedOut:
            throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        case let .corrupt(detail):
            throw ChannelError.corrupt(channel: channel, detail: detail)
        }
    }

    /// Clears the record of held tickets and wakes writers that wait for a free slot.
    private func wakeWriters() {
        attached.entry.release()
        switch discipline {
        case let .fast(fast): attached.header.wake { try fast.freed() }
        case let .classic(classic): attached.header.wake { try classic.freed(1) }
        case .seed, .fanout: break
        }
    }
}
