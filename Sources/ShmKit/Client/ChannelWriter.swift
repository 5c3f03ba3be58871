/// A writer attached to one channel: puts messages into it.
///
/// Several writers, in one process or many, may share a channel. Each message goes into exactly
/// one slot and is read by exactly one reader (a fan-out channel's: by every reader), and the
/// messages of one writer are read in the order it wrote them.
///
/// A writer is for one thread at a time: it is not `Sendable`. It records in the channel's
/// client table which slots it holds, so that shmd can repair them if the process dies; two
/// threads sharing one writer would overwrite each other's record. Give each thread its own.
///
/// Detaching happens when the writer is deinitialized: its entry in the client table is freed.
/// A process that is killed instead leaves it to shmd, which finds the entry within one sweep
/// and publishes whatever slot the writer held as abandoned (readers skip it).
public final class ChannelWriter {
    let attached: AttachedChannel
    let discipline: Discipline
    /// The ticket of the slot `claim(timeoutSeconds:)` took and `commit(length:)` has not yet
    /// published (0 on a seed channel).
    var pendingClaim: UInt64?

    /// Attaches to channel `channel` under `prefix` as a writer.
    ///
    /// - Parameters:
    ///   - channel: the channel's name in shmd's config (`demo`).
    ///   - prefix: the daemon's `prefix` (`[daemon]` in shmd.toml); the segment is
    ///     `/dev/shm/PREFIX.CHANNEL`.
    ///   - wait: how long to wait for shmd to create the channel: `.zero` (the default) looks
    ///     once, `nil` waits as long as it takes.
    /// - Throws: `ChannelError`: `.invalidName` (a name that cannot be a POSIX IPC name),
    ///   `.invalidArgument` (a negative `wait`), `.notFound` (no such channel, after the wait),
    ///   `.emptySegment`, `.headerMismatch` (not a channel this version understands),
    ///   `.permissionDenied`, `.tooManyClients` (the client table is full), `.system`.
    public convenience init(channel: String, prefix: String = ChannelNames.defaultPrefix, wait: Duration? = .zero) throws {
        try self.init(channel: channel, prefix: prefix, waitSeconds: SecondsArgument.seconds(wait) ?? .infinity, waitSlice: SlicedWait.slice)
    }

    /// Attaches as `init(channel:prefix:wait:)` does, with the wait in seconds, as the commands
    /// and the C API take it: `nil` or 0 looks once, +inf waits as long as it takes.
    ///
    /// - Parameter waitSlice: nanoseconds a blocked client sleeps before it looks at the
    ///   channel's state again; tests make it long so that a lost wake-up shows as a hang.
    /// - Throws: as `init(channel:prefix:wait:)`; `.invalidArgument` for nan too.
    package init(channel: String, prefix: String, waitSeconds wait: Double?, waitSlice: UInt64 = SlicedWait.slice) throws {
        (attached, discipline) = try AttachedChannel.attach(channel: channel, prefix: prefix, role: .writer, waitSeconds: wait, waitSlice: waitSlice)
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel takes, in bytes: its slot size (1023 for a seed-layout
    /// channel, whose buffer holds a C string and its NUL).
    public var maximumMessageSize: Int { attached.slotSize }

    /// Fills a slot in place and publishes it: the in-place API, without a copy.
    ///
    /// `fill` gets the slot's whole payload area (`maximumMessageSize` bytes) and returns how
    /// many of them are the message. The area is valid only inside `fill`. If `fill` throws, the
    /// slot is published as abandoned (readers skip it) and the error is rethrown.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for a free slot at most; `nil` (the default) waits as long
    ///     as the channel is open.
    ///   - fill: gets the slot's payload area and returns the message's length.
    /// - Throws: `ChannelError`: `.timedOut` or `.closed` (shmd stopped or removed the channel):
    ///   the message was not delivered; `.messageTooLarge` if `fill` returns more than the slot
    ///   holds; `.invalidArgument` for a negative `timeout`, before anything is claimed;
    ///   `.corrupt` or `.truncated` when someone damaged the channel; `.system`. Or what `fill`
    ///   throws.
    public func write(timeout: Duration? = nil, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        _ = try writeBatch(maximum: 1, timeoutSeconds: SecondsArgument.seconds(timeout)) { _, buffer in try fill(buffer) }
    }

    /// Claims up to `maximum` free slots at once (at least one, waiting for it), lets `fill`
    /// fill each in place, publishes them, and wakes sleeping readers once for the batch.
    ///
    /// - Parameters:
    ///   - maximum: the most slots to claim; values below 1 count as 1. A seed-layout channel
    ///     has one buffer, so it writes one message per call.
    ///   - timeout: as in `write(timeout:_:)`.
    ///   - fill: gets the index in the batch and the slot's payload area; returns the message's
    ///     length.
    /// - Returns: how many slots were written, between 1 and `maximum`.
    /// - Throws: as `write(timeout:_:)`. A slot whose `fill` threw is published as abandoned,
    ///   and so are the slots claimed after it.
    public func writeBatch(
        maximum: Int, timeout: Duration? = nil,
        _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        // The fast path straight from here too: it saves the general function's entry and exit.
        if timeout == nil, pendingClaim == nil, let written = try writeNow(maximum: maximum, timeoutSeconds: nil, fill) { return written }
        return try writeBatch(maximum: maximum, timeoutSeconds: SecondsArgument.seconds(timeout), fill)
    }

    /// `writeBatch(maximum:timeout:_:)` with the timeout in seconds, as the commands and the C
    /// API take it: `nil` or +inf waits as long as the channel is open.
    ///
    /// - Throws: as `writeBatch(maximum:timeout:_:)`; `.invalidArgument` for nan too.
    package func writeBatch(
        maximum: Int, timeoutSeconds timeout: Double?,
        _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        // The claim's ticket is recorded in the client table; another operation would overwrite
        // the record, and a writer killed then would leave the claimed slot unrepaired.
        if pendingClaim != nil {
            throw ChannelError.invalidUse(channel: channel, reason: "a slot is claimed: commit or abandon it first")
        }
        // One message, no timeout, a fast channel: first the path below, which takes a slot that
        // is free already; only when there is none does the general path run, and it then waits
        // exactly as it would have.
        if let written = try writeNow(maximum: maximum, timeoutSeconds: timeout, fill) { return written }
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        attached.tracked?.beginOperation()
        defer { attached.tracked?.endOperation() }
        do {
            // Claimed slots are published (as abandoned if `fill` threw), and readers told so,
            // whatever happens: a reader must never wait for a slot nobody will publish. The
            // record of held tickets is cleared whatever the outcome: without tickets it may
            // still name one another writer won, which would keep a signal from detaching this
            // writer (`ClientSignals`).
            switch discipline {
            case let .fast(fast):
                let outcome = try fast.claimWrite(maximum: max(1, maximum), until: deadline)
                defer {
                    attached.entry.release()
                    if case .tickets = outcome { attached.header.wake { try fast.published() } }
                }
                return try fillAndPublish(outcome, ring: fast.ring, timeout: timeout, fill)
            case let .fanout(fanout):
                let outcome = try fanout.claimWrite(maximum: max(1, maximum), until: deadline)
                defer {
                    attached.entry.release()
                    if case let .tickets(first, count) = outcome { attached.header.wake { try fanout.published(first, count: count) } }
                }
                return try fillAndPublish(outcome, ring: fanout.ring, timeout: timeout, fill)
            case let .classic(classic):
                let outcome = try classic.claimWrite(until: deadline)
                defer {
                    attached.entry.release()
                    if case let .tickets(_, count) = outcome { attached.header.wake { try classic.published(count) } }
                }
                return try fillAndPublish(outcome, ring: classic.ring, timeout: timeout, fill)
            case let .seed(seed):
                try seed.write(until: deadline, timeout: timeout) { try fill(0, $0) }
                return 1
            }
        } catch let error as SystemCallError {
            attached.entry.release() // a claim that failed holds nothing
            throw attached.failure(error)
        }
    }

    /// Copies `message` into a free slot and publishes it, blocking while the channel is full.
    ///
    /// - Parameters:
    ///   - message: the bytes to send; the caller keeps ownership, they are copied.
    ///   - timeout: how long to wait for a free slot at most; `nil` (the default) waits as long
    ///     as the channel is open.
    /// - Throws: `ChannelError`: `.messageTooLarge` (longer than `maximumMessageSize`),
    ///   `.unrepresentable` (a NUL byte on a seed-layout channel), and as `write(timeout:_:)`.
    public func send(_ message: UnsafeRawBufferPointer, timeout: Duration? = nil) throws {
        try send(message, timeoutSeconds: SecondsArgument.seconds(timeout))
    }

    /// Sends the bytes of `message`; see `send(_:timeout:)`.
    public func send<Bytes: Sequence>(_ message: Bytes, timeout: Duration? = nil) throws where Bytes.Element == UInt8 {
        try send(message, timeoutSeconds: SecondsArgument.seconds(timeout))
    }

    /// `send(_:timeout:)` with the timeout in seconds, as the commands and the C API take it.
    ///
    /// - Throws: as `send(_:timeout:)`; `.invalidArgument` for nan too.
    package func send(_ message: UnsafeRawBufferPointer, timeoutSeconds timeout: Double?) throws {
        guard message.count <= attached.slotSize else {
            throw ChannelError.messageTooLarge(channel: channel, size: message.count, limit: attached.slotSize)
        }
        if case .seed = discipline, message.contains(0) {
            throw ChannelError.unrepresentable(channel: channel, reason: "the seed layout holds a C string, and the message contains a NUL byte")
        }
        _ = try writeBatch(maximum: 1, timeoutSeconds: timeout) { _, slot in
            if let source = message.baseAddress, message.count > 0 {
                slot.baseAddress!.copyMemory(from: source, byteCount: message.count)
            }
            return message.count
        }
    }

    /// `send(_:timeout:)` for any bytes, with the timeout in seconds.
    package func send<Bytes: Sequence>(_ message: Bytes, timeoutSeconds timeout: Double?) throws where Bytes.Element == UInt8 {
        let bytes = Array(message)
        try bytes.withUnsafeBytes { try send($0, timeoutSeconds: timeout) }
    }

    /// `writeOneNow` when the call is one it serves: one message, no timeout, a fast channel
    /// (the caller checked that no slot is claimed); otherwise `nil`.
    @inline(__always)
    private func writeNow(maximum: Int, timeoutSeconds timeout: Double?, _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int? {
        guard maximum <= 1, timeout == nil || timeout == .infinity, case let .fast(fast) = discipline else { return nil }
        return try writeOneNow(fast, fill)
    }

    /// The single-message fast path of `writeBatch` on a fast channel: one claim attempt and,
    /// if it took a ticket, the slot filled and published. Returns `nil`, holding nothing, when
    /// the channel is closing or the slot at the cursor is not free yet; the caller then takes
    /// the general path.
    ///
    /// It is the general path with a batch of one and no deadline, with what that case does not
    /// need left out (the timeout check and `Deadline`, the switch over disciplines, the
    /// `TicketOutcome` copies, the batch loop), and the protocol unchanged:
    /// - the same load of `closing` before the claim, the same claim (`FastRing.tryClaimWrite`:
    ///   acquiring load of the slot's sequence, the client table's record, then the cursor's
    ///   sequentially consistent compare-and-swap), and the same sequentially consistent load of
    ///   `closing` after it, in `FastRing.settleWrite`, which gives up a claim the close
    ///   overtook exactly as `claimWrite` does;
    /// - the same publish (`Ring.publish`: length and flags, then a releasing store of the
    ///   sequence), or the same abandon if `fill` throws or returns a bad length, before the
    ///   same wake (`FastRing.published`: full fence, then a post only when a reader announced
    ///   that it sleeps), so the argument of `FastRing` for no lost wake-up holds as it is;
    /// - the record of held tickets cleared whatever happens, after the publish and inside the
    ///   begin/end marks, as in the general path (and before returning `nil`, since a claim
    ///   attempt that lost a compare-and-swap may leave a record of a ticket it did not take);
    /// - errors as the general path reports them: the close as `attached.closure`, a
    ///   `SystemCallError` mapped by `attached.failure`.
    @inline(__always)
    private func writeOneNow(_ fast: FastRing, _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int? {
        attached.tracked?.beginOperation()
        defer { attached.tracked?.endOperation() }
        guard !attached.header.isClosing, let claimed = fast.tryClaimWrite(maximum: 1) else {
            attached.entry.release()
            return nil
        }
        let ring = fast.ring
        do {
            let outcome = try fast.settleWrite(claimed)
            guard case let .tickets(ticket, _) = outcome else {
                // Closed meanwhile (already given up and the wake done), or corrupt.
                attached.entry.release()
                throw failure(of: outcome, timeout: nil)
            }
            defer {
                attached.entry.release()
                attached.header.wake { try FastRing.published(attached) }
            }
            let length: Int
            do {
                length = try fill(0, ring.payload(ticket))
                guard length >= 0 && length <= ring.slotSize else {
                    throw ChannelError.messageTooLarge(channel: channel, size: length, limit: ring.slotSize)
                }
            } catch {
                // A claimed slot must be published, or readers would wait behind it forever.
                ring.abandon(from: ticket, count: 1)
                throw error
            }
            ring.publish(ticket, length: length)
            return 1
        } catch let error as SystemCallError {
            attached.entry.release()
            throw attached.failure(error)
        }
    }

    private func fillAndPublish(
        _ outcome: TicketOutcome, ring: Ring, timeout: Double?,
        _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        guard case let .tickets(first, count) = outcome else { throw failure(of: outcome, timeout: timeout) }
        for index in 0..<count {
            let ticket = first &+ UInt64(index)
            let length: Int
            do {
                length = try fill(index, ring.payload(ticket))
                guard length >= 0 && length <= ring.slotSize else {
                    throw ChannelError.messageTooLarge(channel: channel, size: length, limit: ring.slotSize)
                }
            } catch {
                // Every claimed slot must be published, or readers would wait behind it forever.
                ring.abandon(from: ticket, count: count - index)
                throw error
            }
            ring.publish(ticket, length: length)
        }
        return count
    }

    /// What a claim that took no ticket (`outcome`) reports: the close, the timeout or the damage.
    /// No ring is passed, so that a fast path calling it keeps its ring in registers.
    @inline(never)
    private func failure(of outcome: TicketOutcome, timeout: Double?) -> Error {
        switch outcome {
        case .tickets: preconditionFailure("failure(of:) is for outcomes without tickets")
        case .closed: attached.closure
        case .timedOut: ChannelError.timedOut(channel: channel, operation: "send (channel full)", seconds: timeout ?? 0)
        case let .corrupt(detail): ChannelError.corrupt(channel: channel, detail: detail)
        }
    }
}
