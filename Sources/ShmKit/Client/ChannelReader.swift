/// A reader attached to one channel: takes messages out of it.
///
/// Several readers may share a channel. On a queue channel each message goes to exactly one of
/// them; on a fan-out channel (`delivery = "fanout"`) every reader gets every message, from
/// where it joined (`from:`), and ``lostMessages`` counts what a `slow-reader = "drop"` channel's
/// writers overwrote before this reader got to it.
///
/// A reader is for one thread at a time: it is not `Sendable`. It records in the channel's
/// client table which slots it holds, so that shmd can repair them if the process dies; two
/// threads sharing one reader would overwrite each other's record. Give each thread its own.
///
/// Detaching happens when the reader is deinitialized. A process that is killed while it holds
/// a message leaves it to shmd, which finds the entry within one sweep and writes the message
/// back into the ring for another reader (redelivered, at the back of the queue).
public final class ChannelReader {
    let attached: AttachedChannel
    let discipline: Discipline
    /// The ticket of the message `borrow(timeoutSeconds:)` lent and `releaseBorrowed()` has not
    /// yet freed (0 on a seed channel).
    var pendingBorrow: UInt64?
    /// Whether `peek` has checked that no other reader shares the channel (once per reader).
    var peekChecked = false

    /// Attaches to channel `channel` under `prefix` as a reader.
    ///
    /// - Parameters:
    ///   - channel: the channel's name in shmd's config (`demo`).
    ///   - prefix: the daemon's `prefix` (`[daemon]` in shmd.toml); the segment is
    ///     `/dev/shm/PREFIX.CHANNEL`.
    ///   - wait: how long to wait for shmd to create the channel: `.zero` (the default) looks
    ///     once, `nil` waits as long as it takes.
    ///   - from: where a fan-out channel's reader starts: `.next` (the default), the next message
    ///     written; `.oldest`, the oldest message still in the ring. A queue channel's readers
    ///     always take the oldest message no reader took yet, whatever this says.
    /// - Throws: `ChannelError`: `.invalidName` (a name that cannot be a POSIX IPC name),
    ///   `.invalidArgument` (a negative `wait`), `.notFound` (no such channel, after the wait),
    ///   `.emptySegment`, `.headerMismatch` (not a channel this version understands),
    ///   `.permissionDenied`, `.tooManyClients` (the client table is full), `.system`.
    public convenience init(
        channel: String, prefix: String = ChannelNames.defaultPrefix, wait: Duration? = .zero, from: StartPosition = .next
    ) throws {
        try self.init(channel: channel, prefix: prefix, waitSeconds: SecondsArgument.seconds(wait) ?? .infinity, waitSlice: SlicedWait.slice, from: from)
    }

    /// Attaches as `init(channel:prefix:wait:)` does, with the wait in seconds, as the commands
    /// and the C API take it: `nil` or 0 looks once, +inf waits as long as it takes.
    ///
    /// - Parameter waitSlice: nanoseconds a blocked client sleeps before it looks at the
    ///   channel's state again; tests make it long so that a lost wake-up shows as a hang.
    /// - Throws: as `init(channel:prefix:wait:)`; `.invalidArgument` for nan too.
    package init(
        channel: String, prefix: String, waitSeconds wait: Double?, waitSlice: UInt64 = SlicedWait.slice, from: StartPosition = .next
    ) throws {
        (attached, discipline) = try AttachedChannel.attach(channel: channel, prefix: prefix, role: .reader, waitSeconds: wait, waitSlice: waitSlice)
        if case let .fanout(fanout) = discipline { fanout.join(from: from) }
    }

    /// Whether every reader of this channel gets every message (`delivery = "fanout"`).
    public var isFanout: Bool {
        if case .fanout = discipline { return true }
        return false
    }

    /// Messages this reader lost since it attached: on a fan-out channel with
    /// `slow-reader = "drop"`, those the writers overwrote before this reader read them. Always
    /// 0 on other channels, whose writers wait for their readers.
    public var lostMessages: UInt64 { attached.fanout.lost }

    /// Takes the next message as a copy, with how many messages this reader lost just before it
    /// (see ``lostMessages``): the gap a reader of a `slow-reader = "drop"` channel must know
    /// about. See `receive(timeout:_:)` for the rest.
    public func receiveMessage(timeout: Duration? = nil) throws -> ReceivedMessage? {
        try receiveMessage(timeoutSeconds: SecondsArgument.seconds(timeout))
    }

    /// `receiveMessage(timeout:)` with the timeout in seconds.
    package func receiveMessage(timeoutSeconds timeout: Double?) throws -> ReceivedMessage? {
        guard let bytes = try receive(timeoutSeconds: timeout) else { return nil }
        return ReceivedMessage(bytes: bytes, lostBefore: takeGap())
    }

    /// Messages lost since this was last asked (by `receiveMessage` or here), and forgets them.
    package func takeGap() -> UInt64 {
        if case let .fanout(fanout) = discipline { return fanout.takeGap() }
        return 0
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel carries, in bytes: its slot size (1023 for a
    /// seed-layout channel).
    public var maximumMessageSize: Int { attached.slotSize }

    /// Takes the next message and lends its bytes to `body`, blocking while the channel is
    /// empty: the in-place API, without a copy. The bytes are valid only inside `body`; the slot
    /// is freed for writers when `body` returns or throws.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for a message at most; `nil` (the default) waits as long
    ///     as the channel is open.
    ///   - body: gets the message's bytes, valid until it returns.
    /// - Returns: what `body` returned, or `nil` once shmd closed the channel and every message
    ///   written before was taken (the end of the stream).
    /// - Throws: `ChannelError`: `.timedOut`; `.invalidArgument` for a negative `timeout`,
    ///   before anything is taken; `.corrupt` or `.truncated` when someone damaged the channel
    ///   (never taken for the end of the stream); `.system`. Or what `body` throws.
    public func receive<T>(timeout: Duration? = nil, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try receive(timeoutSeconds: SecondsArgument.seconds(timeout), body)
    }

    /// Takes the next message as a copy; see `receive(timeout:_:)`.
    public func receive(timeout: Duration? = nil) throws -> [UInt8]? {
        try receive(timeoutSeconds: SecondsArgument.seconds(timeout)) { Array($0) }
    }

    /// Takes up to `maximum` messages that are already there with one cursor update (at least
    /// one, waiting for it), lends each to `body` in order, and frees their slots.
    ///
    /// - Parameters:
    ///   - maximum: the most messages to take; values below 1 count as 1. A seed-layout channel
    ///     has one buffer, so it delivers one message per call.
    ///   - timeout: as in `receive(timeout:_:)`.
    ///   - body: gets each message's bytes in turn, each valid until it returns.
    /// - Returns: how many messages `body` saw (1...maximum), or `nil` once shmd closed the
    ///   channel and nothing is left.
    /// - Throws: as `receive(timeout:_:)`. If `body` throws, the rest of the batch is dropped
    ///   (counted as dropped in the header) and the error rethrown.
    public func receiveBatch(maximum: Int, timeout: Duration? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        // The fast path straight from here too: it saves the general function's entry and exit.
        if timeout == nil, let delivered = try receiveNow(maximum: maximum, timeoutSeconds: nil, body) { return delivered }
        return try receiveBatch(maximum: maximum, timeoutSeconds: SecondsArgument.seconds(timeout), body)
    }

    /// `receive(timeout:_:)` with the timeout in seconds, as the commands and the C API take
    /// it: `nil` or +inf waits as long as the channel is open.
    ///
    /// - Throws: as `receive(timeout:_:)`; `.invalidArgument` for nan too.
    package func receive<T>(timeoutSeconds timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        var result: T?
        _ = try receiveBatch(maximum: 1, timeoutSeconds: timeout) { result = try body($0) }
        return result
    }

    /// `receive(timeout:)` with the timeout in seconds.
    package func receive(timeoutSeconds timeout: Double?) throws -> [UInt8]? {
        try receive(timeoutSeconds: timeout) { Array($0) }
    }

    /// `receiveBatch(maximum:timeout:_:)` with the timeout in seconds.
    ///
    /// - Throws: as `receiveBatch(maximum:timeout:_:)`; `.invalidArgument` for nan too.
    package func receiveBatch(maximum: Int, timeoutSeconds timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        // One message, no timeout, a fast channel, nothing borrowed: first the path below, which
        // takes a message that is already there; only when there is none (or it was abandoned)
        // does the general path run, and it then waits exactly as it would have.
        if let delivered = try receiveNow(maximum: maximum, timeoutSeconds: timeout, body) { return delivered }
        // The borrow's ticket is recorded in the client table; another operation would overwrite
        // the record, and a reader killed then would leave the borrowed message unredelivered.
        if pendingBorrow != nil {
            throw ChannelError.invalidUse(channel: channel, reason: "a message is borrowed: release it first")
        }
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        attached.tracked?.beginOperation()
        defer { attached.tracked?.endOperation() }
        do {
            while true {
                let delivered: Int?
                // Claimed slots are freed, and writers told so, even when `body` throws. The
                // record of held tickets is cleared whatever the outcome (see `ChannelWriter`).
                switch discipline {
                case let .fanout(fanout):
                    let outcome = try fanout.claimRead(maximum: max(1, maximum), until: deadline)
                    delivered = try deliver(outcome, fanout: fanout, timeout: timeout, body)
                case let .fast(fast):
                    let outcome = try fast.claimRead(maximum: max(1, maximum), until: deadline)
                    defer {
                        attached.entry.release()
                        if case .tickets = outcome { attached.header.wake { try fast.freed() } }
                    }
                    delivered = try deliver(outcome, ring: fast.ring, timeout: timeout, body)
                case let .classic(classic):
                    let outcome = try classic.claimRead(until: deadline)
                    defer {
                        attached.entry.release()
                        if case .tickets = outcome { attached.header.wake { try classic.freed(1) } }
                    }
                    delivered = try deliver(outcome, ring: classic.ring, timeout: timeout, body)
                case let .seed(seed):
                    return try seed.receive(until: deadline, timeout: timeout, body)
                }
                // A batch of abandoned slots only: look again.
                if delivered != 0 { return delivered }
            }
        } catch let error as SystemCallError {
            attached.entry.release() // a claim that failed holds nothing
            throw attached.failure(error)
        }
    }

    /// `receiveOneNow` when the call is one it serves: one message, no timeout, a fast channel,
    /// nothing borrowed; otherwise `nil`.
    @inline(__always)
    private func receiveNow(maximum: Int, timeoutSeconds timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        guard maximum <= 1, timeout == nil || timeout == .infinity, pendingBorrow == nil, case let .fast(fast) = discipline else {
            return nil
        }
        return try receiveOneNow(fast, body)
    }

    /// The single-message fast path of `receiveBatch` on a fast channel: one claim attempt and,
    /// if it took a ticket, the message lent to `body` and its slot freed. Returns `nil`, holding
    /// nothing, when the slot at the cursor is not published yet or was abandoned; the caller
    /// then takes the general path.
    ///
    /// It is the general path with a batch of one and no deadline, with what that case does not
    /// need left out (the timeout check and `Deadline`, the switch over disciplines, the
    /// `TicketOutcome` copies, the batch loop), and the protocol unchanged:
    /// - the same claim (`FastRing.tryClaimRead`: acquiring load of the slot's sequence, the
    ///   client table's record of the ticket, then the cursor's compare-and-swap), and no check
    ///   of `closing` before it, as `FastRing.claimRead`'s first attempt makes none: a published
    ///   message is taken even after the close;
    /// - the same free (`Ring.free`, a releasing store) before the same wake (`FastRing.freed`:
    ///   full fence, then a post only when a writer announced that it sleeps), so the argument of
    ///   `FastRing` for no lost wake-up holds as it is;
    /// - the record of held tickets cleared whatever happens, after the free and inside the
    ///   begin/end marks, as in the general path, so a signal handler never sees a record of a
    ///   slot already freed outside an operation. A claim attempt that failed after a lost
    ///   compare-and-swap may leave a record of a ticket it did not take; it is cleared before
    ///   returning `nil` (the general path clears it in its `defer`).
    /// - `body`'s error rethrown after the slot is freed (a batch of one drops nothing else), a
    ///   `SystemCallError` mapped by `attached.failure` as the general path's `catch` does.
    @inline(__always)
    private func receiveOneNow(_ fast: FastRing, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        attached.tracked?.beginOperation()
        defer { attached.tracked?.endOperation() }
        guard case let .tickets(ticket, _) = fast.tryClaimRead(maximum: 1) else {
            attached.entry.release()
            return nil
        }
        defer {
            attached.entry.release()
            attached.header.wake { try FastRing.freed(attached) }
        }
        let ring = fast.ring
        guard let message = ring.message(ticket) else {
            ring.free(ticket) // abandoned: skipped, and the general path looks again
            return nil
        }
        do {
            try body(message)
        } catch let error as SystemCallError {
            ring.free(ticket)
            throw attached.failure(error)
        } catch {
            ring.free(ticket)
            throw error
        }
        ring.free(ticket)
        return 1
    }

    /// A fan-out reader's batch: each message lent in turn (in place, or a checked copy), then
    /// the cursor moved past them once. If `body` throws, the reader's cursor stops after that
    /// message: the rest of the batch is still there for the next call, nothing is dropped.
    private func deliver(
        _ outcome: TicketOutcome, fanout: FanoutRing, timeout: Double?,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int? {
        let (first, count): (UInt64, Int)
        switch outcome {
        case let .tickets(start, claimed): (first, count) = (start, claimed)
        case .closed: return try attached.endOfStream()
        case let .corrupt(detail): throw ChannelError.corrupt(channel: channel, detail: detail)
        case .timedOut: throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        }
        var delivered = 0
        for index in 0..<count {
            let ticket = first &+ UInt64(index)
            switch fanout.message(ticket) {
            case .lapped: return delivered // the cursor moved past what was overwritten
            case .message(nil): continue
            case let .message(message?):
                do {
                    try body(message)
                } catch {
                    attached.header.wake { try fanout.consumed(upTo: ticket &+ 1) }
                    throw error
                }
                delivered += 1
            }
        }
        attached.header.wake { try fanout.consumed(upTo: first &+ UInt64(count)) }
        return delivered
    }

    private func deliver(
        _ outcome: TicketOutcome, ring: Ring, timeout: Double?,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int? {
        let (first, count): (UInt64, Int)
        switch outcome {
        case let .tickets(start, claimed): (first, count) = (start, claimed)
        case .closed: return try attached.endOfStream()
        case let .corrupt(detail): throw ChannelError.corrupt(channel: channel, detail: detail)
        case .timedOut: throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        }
        var delivered = 0
        for index in 0..<count {
            let ticket = first &+ UInt64(index)
            guard let message = ring.message(ticket) else {
                ring.free(ticket)
                continue
            }
            do {
                try body(message)
            } catch {
                // Every claimed slot must be freed, or writers would wait behind it forever.
                for rest in index..<count { ring.free(first &+ UInt64(rest)) }
                if count - index > 1 { attached.header.increment(.dropped, by: UInt64(count - index - 1)) }
                throw error
            }
            ring.free(ticket)
            delivered += 1
        }
        return delivered
    }
}
