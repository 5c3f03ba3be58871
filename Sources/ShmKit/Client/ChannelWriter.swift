/// Attaches to a channel as a writer and puts messages into it.
///
/// One writer is meant for one thread; several writers, in one process or many, may share a
/// channel. Each message goes into exactly one slot and is read by exactly one reader, and the
/// messages of one writer are read in the order it wrote them.
public final class ChannelWriter {
    private let attached: AttachedChannel
    // One of the three, chosen at attach time from the header. Stored apart rather than as an
    // enum so that the hot path borrows them instead of copying (and retaining) a payload.
    private let fast: FastRing?
    private let classic: ClassicRing?
    private let seed: SharedMemorySegment?

    /// Attaches to channel `channel` under `prefix`.
    ///
    /// - Parameter wait: seconds to wait for shmd to create the channel (`nil`: do not wait;
    ///   +inf: as long as it takes).
    /// - Throws: `ChannelError` (`.invalidName`, `.invalidArgument` for a nan or negative
    ///   `wait`, `.notFound`, `.emptySegment`, `.headerMismatch`, `.permissionDenied`, `.system`).
    public convenience init(channel: String, prefix: String = "shmd", wait: Double? = nil) throws {
        try self.init(channel: channel, prefix: prefix, wait: wait, waitSlice: SlicedWait.slice)
    }

    /// - Parameter waitSlice: nanoseconds a blocked client sleeps before it looks at the
    ///   channel's state again; tests make it long so that a lost wake-up shows as a hang.
    init(channel: String, prefix: String, wait: Double?, waitSlice: UInt64) throws {
        try SecondsArgument.check(wait, argument: "wait", channel: channel)
        attached = try AttachedChannel(names: ChannelNames(prefix: prefix, channel: channel), role: .writer, wait: wait, waitSlice: waitSlice)
        let chosen = attached.disciplines
        (fast, classic, seed) = (chosen.fast, chosen.classic, chosen.seed)
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel takes, in bytes.
    public var maximumMessageSize: Int { attached.slotSize }

    /// Fills a slot in place and publishes it: the in-place API, without a copy.
    ///
    /// `fill` gets the slot's whole payload area and returns how many bytes of it are the
    /// message. If `fill` throws, the slot is published as abandoned (readers skip it) and the
    /// error is rethrown.
    ///
    /// - Parameter timeout: seconds to wait for a free slot at most (`nil` or +inf: as long as the
    ///   channel is open).
    /// - Throws: `ChannelError` (`.timedOut`, `.closed`: the message was not delivered,
    ///   `.messageTooLarge` if `fill` returns more than the slot holds, `.invalidArgument` for a
    ///   nan or negative `timeout`, before anything is claimed; `.system`), or what `fill` throws.
    public func write(timeout: Double? = nil, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        _ = try writeBatch(maximum: 1, timeout: timeout) { _, buffer in try fill(buffer) }
    }

    /// Claims up to `maximum` free slots at once (at least one, waiting for it), lets `fill`
    /// fill each in place, publishes them, and wakes sleeping readers once for the batch.
    ///
    /// - Parameter fill: gets the index in the batch and the slot's payload area; returns the
    ///   message's length.
    /// - Returns: how many slots were written, between 1 and `maximum`.
    /// - Throws: as `write(timeout:_:)`. A slot whose `fill` threw is published as abandoned;
    ///   the slots claimed after it are abandoned too.
    public func writeBatch(maximum: Int, timeout: Double? = nil,
                           _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
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
            if let fast {
                let outcome = try fast.claimWrite(maximum: max(1, maximum), until: deadline)
                defer { attached.entry.release(); if case .tickets = outcome { attached.header.wake { try fast.published() } } }
                return try fillAndPublish(outcome, ring: fast.ring, timeout: timeout, fill)
            }
            if let classic {
                let outcome = try classic.claimWrite(until: deadline)
                defer { attached.entry.release(); if case let .tickets(_, count) = outcome { attached.header.wake { try classic.published(count) } } }
                return try fillAndPublish(outcome, ring: classic.ring, timeout: timeout, fill)
            }
            try writeSeed(seed!, deadline: deadline, timeout: timeout) { try fill(0, $0) }
            return 1
        } catch let error as SystemCallError {
            attached.entry.release()   // a claim that failed holds nothing
            throw attached.failure(error)
        }
    }

    /// Copies `message` into a free slot and publishes it, blocking while the channel is full.
    ///
    /// - Parameter timeout: seconds to wait for a free slot at most (`nil` or +inf: as long as the
    ///   channel is open).
    /// - Throws: `ChannelError`: `.messageTooLarge`, `.unrepresentable`, `.timedOut`, `.closed`
    ///   (shmd closed the channel; the message was not delivered), `.invalidArgument` (a nan or
    ///   negative `timeout`), `.system`.
    public func send(_ message: UnsafeRawBufferPointer, timeout: Double? = nil) throws {
        guard message.count <= attached.slotSize else {
            throw ChannelError.messageTooLarge(channel: channel, size: message.count, limit: attached.slotSize)
        }
        if seed != nil, message.contains(0) {
            throw ChannelError.unrepresentable(channel: channel, reason: "the seed layout holds a C string, and the message contains a NUL byte")
        }
        try write(timeout: timeout) { slot in
            if let source = message.baseAddress, message.count > 0 {
                slot.baseAddress!.copyMemory(from: source, byteCount: message.count)
            }
            return message.count
        }
    }

    /// Sends the bytes of `message`; see `send(_:timeout:)`.
    public func send<Bytes: Sequence>(_ message: Bytes, timeout: Double? = nil) throws where Bytes.Element == UInt8 {
        let bytes = Array(message)
        try bytes.withUnsafeBytes { try send($0, timeout: timeout) }
    }

    private func fillAndPublish(_ outcome: TicketOutcome, ring: Ring, timeout: Double?,
                                _ fill: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        let (first, count): (UInt64, Int)
        switch outcome {
        case let .tickets(start, claimed): (first, count) = (start, claimed)
        case .closed: throw attached.closure
        case .timedOut: throw ChannelError.timedOut(channel: channel, operation: "send (channel full)", seconds: timeout ?? 0)
        case let .corrupt(detail): throw ChannelError.corrupt(channel: channel, detail: detail)
        }
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

    private func writeSeed(_ buffer: SharedMemorySegment, deadline: Deadline?, timeout: Double?,
                           _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        switch try SlicedWait.acquire(attached.empty, until: deadline, isClosed: { attached.isClosed }) {
        case .acquired: break
        case .closed: throw attached.closure
        case .timedOut: throw ChannelError.timedOut(channel: channel, operation: "send (channel full)", seconds: timeout ?? 0)
        case let .corrupt(detail): throw ChannelError.corrupt(channel: channel, detail: detail)
        }
        // As the seed's writer: a C string and its NUL in the 1024-byte buffer.
        let area = UnsafeMutableRawBufferPointer(start: buffer.base, count: Layout.seedBufferSize - 1)
        let length: Int
        do {
            length = try fill(area)
            guard length >= 0 && length < Layout.seedBufferSize else {
                throw ChannelError.messageTooLarge(channel: channel, size: length, limit: Layout.seedBufferSize - 1)
            }
        } catch {
            attached.header.wake { try attached.empty.post() }   // give the buffer back untouched
            throw error
        }
        buffer.base.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
        attached.header.writeCursor.wrappingIncrement(ordering: .relaxed)
        try attached.full.post()
    }
}
