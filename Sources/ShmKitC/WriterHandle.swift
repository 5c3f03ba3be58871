import ShmKit

/// What a `shmkit_writer *` points to: the writer while the handle is open, and the channel's
/// name for the errors of calls on a closed handle.
final class WriterHandle {
    let channel: String
    private(set) var writer: ChannelWriter?

    init(channel: String, writer: ChannelWriter) {
        self.channel = channel
        self.writer = writer
    }

    /// The open writer of the handle `pointer`.
    ///
    /// - Throws: `ChannelError.invalidUse` for NULL or a closed handle.
    @inline(__always)
    static func open(_ pointer: OpaquePointer?) throws -> ChannelWriter {
        guard let pointer else { throw ChannelError.invalidUse(channel: "?", reason: "the writer is NULL") }
        let handle = Unmanaged<WriterHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        guard let writer = handle.writer else {
            throw ChannelError.invalidUse(channel: handle.channel, reason: "the writer was closed (shmkit_writer_close)")
        }
        return writer
    }

    /// Detaches: a claimed slot is given up first.
    func close() {
        writer?.abandonClaim()
        writer = nil
    }
}

/// What a `shmkit_reader *` points to; see `WriterHandle`.
final class ReaderHandle {
    let channel: String
    private(set) var reader: ChannelReader?

    init(channel: String, reader: ChannelReader) {
        self.channel = channel
        self.reader = reader
    }

    /// The open reader of the handle `pointer`.
    ///
    /// - Throws: `ChannelError.invalidUse` for NULL or a closed handle.
    @inline(__always)
    static func open(_ pointer: OpaquePointer?) throws -> ChannelReader {
        guard let pointer else { throw ChannelError.invalidUse(channel: "?", reason: "the reader is NULL") }
        let handle = Unmanaged<ReaderHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        guard let reader = handle.reader else {
            throw ChannelError.invalidUse(channel: handle.channel, reason: "the reader was closed (shmkit_reader_close)")
        }
        return reader
    }

    /// Detaches: a borrowed message is released first.
    func close() {
        if reader?.hasBorrow == true { try? reader?.releaseBorrowed() }
        reader = nil
    }
}
