import ShmKit

// The reader half of shmkit.h, exported with `@c`. Each function is documented in the header.

/// `shmkit_reader_open` of shmkit.h: attaches a reader to a channel and returns its handle.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_reader_open)
public func shmkitReaderOpen(
    _ channel: UnsafePointer<CChar>?, _ prefix: UnsafePointer<CChar>?, _ waitSeconds: Double,
    _ reader: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    CStatus.run {
        let name = try CStatus.string(channel, argument: "channel")
        guard let reader else { throw ChannelError.invalidUse(channel: name, reason: "the reader pointer is NULL") }
        let prefix = try prefix.map { try CStatus.string($0, argument: "prefix", channel: name) } ?? "shmd"
        let opened = try ChannelReader(channel: name, prefix: prefix, waitSeconds: waitSeconds)
        reader.pointee = ReaderHandle.make(opened, channel: name)
    }
}

/// `shmkit_reader_open_from` of shmkit.h: `shmkit_reader_open` with where a fan-out reader starts.
///
/// Returns the status of the call (0, or the sysexits code the commands use).
@c(shmkit_reader_open_from)
public func shmkitReaderOpenFrom(
    _ channel: UnsafePointer<CChar>?, _ prefix: UnsafePointer<CChar>?, _ waitSeconds: Double, _ from: Int32,
    _ reader: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    CStatus.run {
        let name = try CStatus.string(channel, argument: "channel")
        guard let reader else { throw ChannelError.invalidUse(channel: name, reason: "the reader pointer is NULL") }
        let start: StartPosition
        switch from {
        case 0: start = .next
        case 1: start = .oldest
        default:
            throw ChannelError.invalidUse(
                channel: name, reason: "from is \(from), neither SHMKIT_FROM_NEXT (0) nor SHMKIT_FROM_OLDEST (1)")
        }
        let prefix = try prefix.map { try CStatus.string($0, argument: "prefix", channel: name) } ?? "shmd"
        let opened = try ChannelReader(channel: name, prefix: prefix, waitSeconds: waitSeconds, from: start)
        reader.pointee = ReaderHandle.make(opened, channel: name)
    }
}

/// `shmkit_reader_is_fanout` of shmkit.h: 1 on a fan-out channel, else 0; never fails.
@c(shmkit_reader_is_fanout)
public func shmkitReaderIsFanout(_ reader: OpaquePointer?) -> Int32 {
    (try? ReaderHandle.open(reader).isFanout) == true ? 1 : 0
}

/// `shmkit_reader_lost` of shmkit.h: messages the reader lost since it attached; never fails.
@c(shmkit_reader_lost)
public func shmkitReaderLost(_ reader: OpaquePointer?) -> UInt64 {
    (try? ReaderHandle.open(reader).lostMessages) ?? 0
}

/// `shmkit_reader_take_gap` of shmkit.h: messages lost since the last call; never fails.
@c(shmkit_reader_take_gap)
public func shmkitReaderTakeGap(_ reader: OpaquePointer?) -> UInt64 {
    (try? ReaderHandle.open(reader).takeGap()) ?? 0
}

/// `shmkit_reader_max_message_size` of shmkit.h: the largest message the reader's channel carries, in bytes.
///
/// 0 for NULL or a closed handle; it never fails.
@c(shmkit_reader_max_message_size)
public func shmkitReaderMaxMessageSize(_ reader: OpaquePointer?) -> Int {
    (try? ReaderHandle.open(reader).maximumMessageSize) ?? 0
}

/// The end of the stream as the C API reports it: status 69, kind SHMKIT_E_CLOSED, and the
/// message the commands print.
private func endOfStream(_ channel: ChannelReader) -> ChannelError {
    .closed(channel: channel.channel)
}

/// `shmkit_receive` of shmkit.h: takes the next message as a copy into the caller's buffer.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_receive)
public func shmkitReceive(
    _ reader: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ capacity: UInt, _ length: UnsafeMutablePointer<Int>?,
    _ timeoutSeconds: Double
) -> Int32 {
    CStatus.run {
        let capacity = Int(clamping: capacity)
        let channel = try ReaderHandle.open(reader)
        guard let buffer, let length else { throw ChannelError.invalidUse(channel: channel.channel, reason: "buffer or length is NULL") }
        guard capacity >= channel.maximumMessageSize else {
            throw ChannelError.invalidUse(
                channel: channel.channel,
                reason: "the buffer of \(capacity) bytes is smaller than the channel's largest message "
                    + "(\(channel.maximumMessageSize) bytes, shmkit_reader_max_message_size)")
        }
        // receiveBatch rather than the generic receive<T>: ShmKit's generics are not
        // specialized across the module boundary, and the metadata lookup and boxing made the C
        // round trip 1.34x the Swift client's (shm-bench, 64 B p50); 1.0x without them.
        var got = 0
        let taken = try channel.receiveBatch(maximum: 1, timeoutSeconds: timeoutSeconds) { message in
            if message.count > 0 { buffer.copyMemory(from: message.baseAddress!, byteCount: message.count) }
            got = message.count
        }
        guard taken != nil else { throw endOfStream(channel) }
        length.pointee = got
    }
}

/// `shmkit_receive_batch` of shmkit.h: takes the messages already there, as copies back to back in the caller's buffer.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_receive_batch)
public func shmkitReceiveBatch(
    _ reader: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ capacity: UInt, _ lengths: UnsafeMutablePointer<Int>?,
    _ maxCount: UInt, _ count: UnsafeMutablePointer<Int>?, _ timeoutSeconds: Double
) -> Int32 {
    count?.pointee = 0
    return CStatus.run {
        let capacity = Int(clamping: capacity)
        let maxCount = Int(clamping: maxCount)
        let channel = try ReaderHandle.open(reader)
        guard let buffer, let lengths, let count else {
            throw ChannelError.invalidUse(channel: channel.channel, reason: "buffer, lengths or count is NULL")
        }
        let fitting = min(maxCount, capacity / max(1, channel.maximumMessageSize))
        guard fitting >= 1 else {
            throw ChannelError.invalidUse(
                channel: channel.channel,
                reason: "room for no message: max_count \(maxCount), a buffer of \(capacity) bytes, messages of up to "
                    + "\(channel.maximumMessageSize) bytes")
        }
        var offset = 0
        var taken = 0
        let got = try channel.receiveBatch(maximum: fitting, timeoutSeconds: timeoutSeconds) { message in
            if message.count > 0 { (buffer + offset).copyMemory(from: message.baseAddress!, byteCount: message.count) }
            lengths[taken] = message.count
            offset += message.count
            taken += 1
        }
        guard got != nil else { throw endOfStream(channel) }
        count.pointee = taken
    }
}

/// `shmkit_borrow` of shmkit.h: lends the next message in place, until it is released.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_borrow)
public func shmkitBorrow(
    _ reader: OpaquePointer?, _ data: UnsafeMutablePointer<UnsafeRawPointer?>?, _ length: UnsafeMutablePointer<Int>?,
    _ timeoutSeconds: Double
) -> Int32 {
    CStatus.run {
        let channel = try ReaderHandle.open(reader)
        guard let data, let length else { throw ChannelError.invalidUse(channel: channel.channel, reason: "data or length is NULL") }
        guard let message = try channel.borrow(timeoutSeconds: timeoutSeconds) else { throw endOfStream(channel) }
        data.pointee = message.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
        length.pointee = message.count
    }
}

/// `shmkit_release` of shmkit.h: releases the borrowed message, freeing its slot for writers.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_release)
public func shmkitRelease(_ reader: OpaquePointer?) -> Int32 {
    CStatus.run { try ReaderHandle.open(reader).releaseBorrowed() }
}

/// `shmkit_reader_close` of shmkit.h: detaches the reader; its handle stays valid until it is freed.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_reader_close)
public func shmkitReaderClose(_ reader: OpaquePointer?) -> Int32 {
    ReaderHandle.close(reader)
    return 0
}

/// `shmkit_reader_free` of shmkit.h: closes the reader if it is open and frees its handle.
///
/// NULL is fine; using the handle afterwards is undefined.
@c(shmkit_reader_free)
public func shmkitReaderFree(_ reader: OpaquePointer?) {
    ReaderHandle.free(reader)
}
