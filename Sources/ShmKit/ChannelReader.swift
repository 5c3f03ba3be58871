/// Attaches to a channel as a reader and takes messages out of it.
///
/// One reader is meant for one thread; several readers may share a channel, and each message
/// goes to exactly one of them.
public final class ChannelReader: @unchecked Sendable {
    private let attached: AttachedChannel

    /// Attaches to channel `channel` under `prefix`.
    ///
    /// - Parameter wait: seconds to wait for shmd to create the channel (`nil`: do not wait).
    /// - Throws: `ChannelError` (`.invalidName`, `.notFound`, `.headerMismatch`,
    ///   `.permissionDenied`, `.system`).
    public init(channel: String, prefix: String = "shmd", wait: Double? = nil) throws {
        attached = try AttachedChannel(names: ChannelNames(prefix: prefix, channel: channel), role: .reader, wait: wait)
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel carries, in bytes.
    public var maximumMessageSize: Int { attached.slotSize }

    /// Takes the next message and lends its bytes to `body`, blocking while the channel is empty.
    /// The bytes are valid only inside `body`; the slot is freed when it returns.
    ///
    /// - Parameter timeout: seconds to wait for a message at most (`nil`: as long as the channel
    ///   is open).
    /// - Returns: what `body` returned, or `nil` once shmd closed the channel and every message
    ///   written before was taken.
    /// - Throws: `ChannelError.timedOut`, `ChannelError.system`, or what `body` throws.
    public func receive<T>(timeout: Double? = nil, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        switch attached.body {
        case let .ring(ring): return try receiveRing(ring, timeout: timeout, body)
        case let .seed(buffer): return try receiveSeed(buffer, timeout: timeout, body)
        }
    }

    /// Takes the next message as a copy; see `receive(timeout:_:)`.
    public func receive(timeout: Double? = nil) throws -> [UInt8]? {
        try receive(timeout: timeout) { Array($0) }
    }

    private func receiveRing<T>(_ ring: Ring, timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        switch try acquireMessage(timeout: timeout) {
        case .acquired where !attached.header.isClosing:
            let ticket = attached.header.readCursor.loadThenWrappingIncrement(ordering: .relaxed)
            let ready = SlicedWait.until({ ring.isReady(ticket, expected: ticket &+ 1) }, deadline: nil, isClosed: { attached.isClosed })
            guard ready == .acquired else { return try drainClosed(ring, body) }
            defer { try? attached.empty.post() }
            return try ring.drain(ticket: ticket, body)
        case .acquired, .closed:
            attached.relayClose(on: attached.full)
            return try drainClosed(ring, body)
        case .timedOut:
            throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        }
    }

    /// After the channel closed: takes what writers published before, without the semaphores,
    /// whose counts no longer mean anything once the daemon posted to wake everyone.
    private func drainClosed<T>(_ ring: Ring, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        let cursor = attached.header.readCursor
        while true {
            let next = cursor.load(ordering: .acquiring)
            guard next < attached.header.writeCursor.load(ordering: .acquiring) else { return nil }
            guard cursor.compareExchange(expected: next, desired: next &+ 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            // A writer that took this ticket before the close is at most a copy away; one that
            // died holding it never publishes, so the wait is bounded.
            let ready = SlicedWait.until({ ring.isReady(next, expected: next &+ 1) },
                                        deadline: Deadline.after(seconds: 1), isClosed: { false })
            if ready == .acquired { return try ring.drain(ticket: next, body) }
        }
    }

    private func receiveSeed<T>(_ buffer: SharedMemorySegment, timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        switch try acquireMessage(timeout: timeout) {
        case .acquired:
            // As the seed's reader: a C string in the 1024-byte buffer.
            let bytes = UnsafeRawBufferPointer(start: buffer.base, count: Layout.seedBufferSize)
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            defer { try? attached.empty.post() }
            return try body(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
        case .closed:
            return nil
        case .timedOut:
            throw ChannelError.timedOut(channel: channel, operation: "receive (channel empty)", seconds: timeout ?? 0)
        }
    }

    private func acquireMessage(timeout: Double?) throws -> SlicedWait.Outcome {
        do {
            return try SlicedWait.acquire(attached.full, until: Deadline.after(seconds: timeout)) { attached.isClosed }
        } catch {
            throw attached.failure(error)
        }
    }
}
