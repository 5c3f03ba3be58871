/// Attaches to a channel as a reader and takes messages out of it.
///
/// One reader is meant for one thread; several readers may share a channel, and each message
/// goes to exactly one of them.
public final class ChannelReader {
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
        attached = try AttachedChannel(names: ChannelNames(prefix: prefix, channel: channel), role: .reader, wait: wait, waitSlice: waitSlice)
        let chosen = attached.disciplines
        (fast, classic, seed) = (chosen.fast, chosen.classic, chosen.seed)
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel carries, in bytes.
    public var maximumMessageSize: Int { attached.slotSize }

    /// Takes the next message and lends its bytes to `body`, blocking while the channel is
    /// empty: the in-place API. The bytes are valid only inside `body`; the slot is freed when it
    /// returns (or throws).
    ///
    /// - Parameter timeout: seconds to wait for a message at most (`nil` or +inf: as long as the
    ///   channel is open).
    /// - Returns: what `body` returned, or `nil` once shmd closed the channel and every message
    ///   written before was taken.
    /// - Throws: `ChannelError.timedOut`, `ChannelError.invalidArgument` (a nan or negative
    ///   `timeout`, before anything is taken), `ChannelError.system`, or what `body` throws.
    public func receive<T>(timeout: Double? = nil, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        var result: T?
        _ = try receiveBatch(maximum: 1, timeout: timeout) { result = try body($0) }
        return result
    }

    /// Takes the next message as a copy; see `receive(timeout:_:)`.
    public func receive(timeout: Double? = nil) throws -> [UInt8]? {
        try receive(timeout: timeout) { Array($0) }
    }

    /// Takes up to `maximum` messages that are already there with one cursor update (at least
    /// one, waiting for it), lends each to `body` in order, and frees their slots.
    ///
    /// - Returns: how many messages `body` saw (1...maximum), or `nil` once shmd closed the
    ///   channel and nothing is left.
    /// - Throws: as `receive(timeout:_:)`. If `body` throws, the rest of the batch is dropped
    ///   (counted as dropped) and the error rethrown.
    public func receiveBatch(maximum: Int, timeout: Double? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        try SecondsArgument.check(timeout, argument: "timeout", channel: channel)
        let deadline = Deadline.after(seconds: timeout)
        attached.tracked?.beginOperation()
        defer { attached.tracked?.endOperation() }
        do {
            while true {
                let delivered: Int?
                // Claimed slots are freed, and writers told so, even when `body` throws. The
                // record of held tickets is cleared whatever the outcome (see `ChannelWriter`).
                if let fast {
                    let outcome = try fast.claimRead(maximum: max(1, maximum), until: deadline)
                    defer { attached.entry.release(); if case .tickets = outcome { attached.header.wake { try fast.freed() } } }
                    delivered = try deliver(outcome, ring: fast.ring, timeout: timeout, body)
                } else if let classic {
                    let outcome = try classic.claimRead(until: deadline)
                    defer { attached.entry.release(); if case .tickets = outcome { attached.header.wake { try classic.freed(1) } } }
                    delivered = try deliver(outcome, ring: classic.ring, timeout: timeout, body)
                } else {
                    return try receiveSeed(seed!, deadline: deadline, timeout: timeout, body)
                }
                // A batch of abandoned slots only: look again.
                if delivered != 0 { return delivered }
            }
        } catch let error as SystemCallError {
            attached.entry.release()   // a claim that failed holds nothing
            throw attached.failure(error)
        }
    }

    private func deliver(_ outcome: TicketOutcome, ring: Ring, timeout: Double?,
                         _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
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

    private func receiveSeed(_ buffer: SharedMemorySegment, deadline: Deadline?, timeout: Double?,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        switch try SlicedWait.acquire(attached.full, until: deadline, isClosed: { attached.isClosed }) {
        case .acquired:
            // As the seed's reader: a C string in the 1024-byte buffer.
            let bytes = UnsafeRawBufferPointer(start: buffer.base, count: Layout.seedBufferSize)
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            defer {
                attached.header.readCursor.wrappingIncrement(ordering: .relaxed)
                attached.header.wake { try attached.empty.post() }
            }
            try body(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
            return 1
        case .closed:
            return try attached.endOfStream()
        case .timedOut:
            throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        case let .corrupt(detail):
            throw ChannelError.corrupt(channel: channel, detail: detail)
        }
    }
}
