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
    /// `unowned(unsafe)`: the writer or reader that holds this discipline also holds the
    /// attachment, strongly, for as long as it holds the discipline, so the reference cannot
    /// dangle; and copying the discipline out of its enum on every operation then costs no
    /// reference counting (an atomic increment and decrement per call, measurable at 1 KiB).
    unowned(unsafe) let attached: AttachedChannel

    /// The longest message: the buffer's bytes but the NUL.
    static var capacity: Int { Layout.seedBufferSize - 1 }

    /// Waits for the buffer, lets `fill` write a message into it, and hands it to the reader.
    ///
    /// - Throws: `ChannelError.closed`, `.timedOut`, `.corrupt`, `.messageTooLarge` when `fill`
    ///   returns more than `capacity`; what `fill` throws (the buffer is given back untouched).
    func write(until deadline: Deadline?, timeout: Double?, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        let area = try claim(until: deadline, timeout: timeout)
        let length: Int
        do {
            length = try fill(area)
            guard length >= 0 && length <= Self.capacity else {
                throw ChannelError.messageTooLarge(channel: attached.channel, size: length, limit: Self.capacity)
            }
            try checkRepresentable(UnsafeRawBufferPointer(rebasing: area[..<length]))
        } catch {
            giveBack()
            throw error
        }
        try publish(length: length)
    }

    /// Waits for the buffer (a unit of `empty`) and returns the area a message is written to.
    ///
    /// - Throws: `ChannelError.closed`, `.timedOut`, `.corrupt`.
    func claim(until deadline: Deadline?, timeout: Double?) throws -> UnsafeMutableRawBufferPointer {
        try acquire(attached.empty, until: deadline, timeout: timeout, operation: "send (channel full)")
        return UnsafeMutableRawBufferPointer(start: buffer.base, count: Self.capacity)
    }

    /// Ends the string written into the claimed buffer at `length` (at most `capacity`) and
    /// hands it to the reader.
    ///
    /// - Throws: `SystemCallError` from `sem_post`.
    func publish(length: Int) throws {
        buffer.base.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
        attached.header.writeCursor.wrappingIncrement(ordering: .relaxed)
        try attached.full.post()
    }

    /// Refuses a message the seed's C string cannot hold: one with a NUL byte, which its reader
    /// would cut there.
    ///
    /// - Throws: `ChannelError.unrepresentable`.
    func checkRepresentable(_ message: UnsafeRawBufferPointer) throws {
        if message.contains(0) {
            throw ChannelError.unrepresentable(
                channel: attached.channel, reason: "the seed layout holds a C string, and the message contains a NUL byte")
        }
    }

    /// Gives the claimed buffer back untouched.
    func giveBack() {
        attached.header.wake { try attached.empty.post() }
    }

    /// Waits for a message and lends it to `body`; the buffer goes back to the writer when
    /// `body` returns or throws.
    ///
    /// - Returns: 1, or `nil` once shmd closed the channel.
    /// - Throws: `ChannelError.timedOut`, `.corrupt`, `.truncated`; what `body` throws.
    func receive(until deadline: Deadline?, timeout: Double?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        guard let message = try borrow(until: deadline, timeout: timeout) else { return nil }
        defer { releaseBorrowed() }
        try body(message)
        return 1
    }

    /// Waits for a message (a unit of `full`) and returns it, valid until `releaseBorrowed()`.
    ///
    /// - Returns: the message, or `nil` once shmd closed the channel.
    /// - Throws: `ChannelError.timedOut`, `.corrupt`, `.truncated`.
    func borrow(until deadline: Deadline?, timeout: Double?) throws -> UnsafeRawBufferPointer? {
        do {
            try acquire(attached.full, until: deadline, timeout: timeout, operation: "receive (channel empty)")
        } catch let error as ChannelError where error == .closed(channel: attached.channel) {
            _ = try attached.endOfStream()
            return nil
        }
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: Layout.seedBufferSize)
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        return UnsafeRawBufferPointer(rebasing: bytes[..<length])
    }

    /// Hands the buffer of the borrowed message back to the writer.
    func releaseBorrowed() {
        attached.header.readCursor.wrappingIncrement(ordering: .relaxed)
        attached.header.wake { try attached.empty.post() }
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
