/// The seed's protocol on the seed's own layout, byte-compatible with its C programs
/// (`shm_sem.h`): one 1024-byte buffer holding a C string, `empty` (initially 1) and `full`
/// (initially 0). A writer takes `empty`, copies a string and its NUL in, and gives `full`; a
/// reader takes `full`, reads the string, and gives `empty`.
///
/// shmd's clients wait in slices (`SlicedWait`), as on a ring, so that a channel shmd closed is
/// noticed within one slice: shmd never posts a seed channel's semaphores to wake its clients,
/// since the seed's own reader would take a post for a message.
struct SeedBuffer {
    let buffer: SharedMemorySegment
    let attached: AttachedChannel

    /// The longest message: the buffer's bytes but the NUL.
    static var capacity: Int { Layout.seedBufferSize - 1 }

    /// Waits for the buffer, lets `fill` write a message into it, and hands it to the reader.
    ///
    /// - Throws: `ChannelError.closed`, `.timedOut`, `.corrupt`, `.messageTooLarge` when `fill`
    ///   returns more than `capacity`; what `fill` throws (the buffer is given back untouched).
    func write(until deadline: Deadline?, timeout: Double?, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        try acquire(attached.empty, until: deadline, timeout: timeout, operation: "send (channel full)")
        let area = UnsafeMutableRawBufferPointer(start: buffer.base, count: Self.capacity)
        let length: Int
        do {
            length = try fill(area)
            guard length >= 0 && length <= Self.capacity else {
                throw ChannelError.messageTooLarge(channel: attached.channel, size: length, limit: Self.capacity)
            }
        } catch {
            attached.header.wake { try attached.empty.post() } // give the buffer back untouched
            throw error
        }
        buffer.base.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
        attached.header.writeCursor.wrappingIncrement(ordering: .relaxed)
        try attached.full.post()
    }

    /// Waits for a message and lends it to `body`; the buffer goes back to the writer when
    /// `body` returns or throws.
    ///
    /// - Returns: 1, or `nil` once shmd closed the channel.
    /// - Throws: `ChannelError.timedOut`, `.corrupt`, `.truncated`; what `body` throws.
    func receive(until deadline: Deadline?, timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        do {
            try acquire(attached.full, until: deadline, timeout: timeout, operation: "receive (channel empty)")
        } catch let error as ChannelError where error == .closed(channel: attached.channel) {
            return try attached.endOfStream()
        }
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: Layout.seedBufferSize)
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        defer {
            attached.header.readCursor.wrappingIncrement(ordering: .relaxed)
            attached.header.wake { try attached.empty.post() }
        }
        try body(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
        return 1
    }

    private func acquire(_ semaphore: NamedSemaphore, until deadline: Deadline?, timeout: Double?, operation: String) throws {
        switch try SlicedWait.acquire(semaphore, until: deadline, isClosed: { attached.isClosed }) {
        case .acquired: return
        case .closed: throw attached.closure
        case .timedOut: throw ChannelError.timedOut(channel: attached.channel, operation: operation, seconds: timeout ?? 0)
        case let .corrupt(detail): throw ChannelError.corrupt(channel: attached.channel, detail: detail)
        }
    }
}
