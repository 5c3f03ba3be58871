/// Attaches to a channel as a writer and puts messages into it.
///
/// One writer is meant for one thread; several writers, in one process or many, may share a
/// channel. Each message goes into exactly one slot and is read by exactly one reader.
public final class ChannelWriter: @unchecked Sendable {
    private let attached: AttachedChannel

    /// Attaches to channel `channel` under `prefix`.
    ///
    /// - Parameter wait: seconds to wait for shmd to create the channel (`nil`: do not wait).
    /// - Throws: `ChannelError` (`.invalidName`, `.notFound`, `.headerMismatch`,
    ///   `.permissionDenied`, `.system`).
    public init(channel: String, prefix: String = "shmd", wait: Double? = nil) throws {
        attached = try AttachedChannel(names: ChannelNames(prefix: prefix, channel: channel), role: .writer, wait: wait)
    }

    /// The channel's name.
    public var channel: String { attached.channel }

    /// The largest message this channel takes, in bytes.
    public var maximumMessageSize: Int { attached.slotSize }

    /// Copies `message` into a free slot and publishes it, blocking while the channel is full.
    ///
    /// - Parameter timeout: seconds to wait for a free slot at most (`nil`: wait as long as the
    ///   channel is open).
    /// - Throws: `ChannelError`: `.messageTooLarge`, `.unrepresentable`, `.timedOut`, `.closed`
    ///   (shmd closed the channel; the message was not delivered), `.system`.
    public func send(_ message: UnsafeRawBufferPointer, timeout: Double? = nil) throws {
        guard message.count <= attached.slotSize else {
            throw ChannelError.messageTooLarge(channel: channel, size: message.count, limit: attached.slotSize)
        }
        switch attached.body {
        case let .ring(ring): try sendRing(ring, message, timeout: timeout)
        case let .seed(buffer): try sendSeed(buffer, message, timeout: timeout)
        }
    }

    /// Sends the bytes of `message`; see `send(_:timeout:)`.
    public func send<Bytes: Sequence>(_ message: Bytes, timeout: Double? = nil) throws where Bytes.Element == UInt8 {
        let bytes = Array(message)
        try bytes.withUnsafeBytes { try send($0, timeout: timeout) }
    }

    private func sendRing(_ ring: Ring, _ message: UnsafeRawBufferPointer, timeout: Double?) throws {
        if attached.header.isClosing { throw ChannelError.closed(channel: channel) }
        try acquireFreeSlot(timeout: timeout)
        if attached.header.isClosing {
            attached.relayClose(on: attached.empty)
            throw ChannelError.closed(channel: channel)
        }
        let ticket = attached.header.writeCursor.loadThenWrappingIncrement(ordering: .relaxed)
        let ready = SlicedWait.until({ ring.isReady(ticket, expected: ticket) }, deadline: nil, isClosed: { attached.isClosed })
        guard ready == .acquired else { throw ChannelError.closed(channel: channel) }
        ring.fill(ticket: ticket, with: message)
        do { try attached.full.post() } catch { throw attached.failure(error) }
    }

    private func sendSeed(_ buffer: SharedMemorySegment, _ message: UnsafeRawBufferPointer, timeout: Double?) throws {
        if message.contains(0) {
            throw ChannelError.unrepresentable(channel: channel, reason: "the seed layout holds a C string, and the message contains a NUL byte")
        }
        try acquireFreeSlot(timeout: timeout)
        // As the seed's writer: the string and its terminating NUL, in the 1024-byte buffer.
        if let source = message.baseAddress, message.count > 0 {
            buffer.base.copyMemory(from: source, byteCount: message.count)
        }
        buffer.base.storeBytes(of: 0, toByteOffset: message.count, as: UInt8.self)
        do { try attached.full.post() } catch { throw attached.failure(error) }
    }

    private func acquireFreeSlot(timeout: Double?) throws {
        let outcome: SlicedWait.Outcome
        do {
            outcome = try SlicedWait.acquire(attached.empty, until: Deadline.after(seconds: timeout)) { attached.isClosed }
        } catch {
            throw attached.failure(error)
        }
        switch outcome {
        case .acquired: return
        case .closed:
            attached.relayClose(on: attached.empty)
            throw ChannelError.closed(channel: channel)
        case .timedOut:
            throw ChannelError.timedOut(channel: channel, operation: "send (channel full)", seconds: timeout ?? 0)
        }
    }
}
