import ShmKit

// The writer half of shmkit.h, exported with `@c`. Each function is documented in the header;
// the comments here say how it maps onto ChannelWriter.

/// `shmkit_writer_open` of shmkit.h: attaches a writer to a channel and returns its handle.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_writer_open)
public func shmkitWriterOpen(
    _ channel: UnsafePointer<CChar>?, _ prefix: UnsafePointer<CChar>?, _ waitSeconds: Double,
    _ writer: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    CStatus.run {
        let name = try CStatus.string(channel, argument: "channel")
        guard let writer else { throw ChannelError.invalidUse(channel: name, reason: "the writer pointer is NULL") }
        let prefix = try prefix.map { try CStatus.string($0, argument: "prefix", channel: name) } ?? "shmd"
        let opened = try ChannelWriter(channel: name, prefix: prefix, waitSeconds: waitSeconds)
        writer.pointee = WriterHandle.make(opened, channel: name)
    }
}

/// `shmkit_writer_max_message_size` of shmkit.h: the largest message the writer's channel takes, in bytes.
///
/// 0 for NULL or a closed handle; it never fails.
@c(shmkit_writer_max_message_size)
public func shmkitWriterMaxMessageSize(_ writer: OpaquePointer?) -> Int {
    (try? WriterHandle.open(writer).maximumMessageSize) ?? 0
}

/// `shmkit_send` of shmkit.h: copies one message into a free slot and publishes it.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_send)
public func shmkitSend(_ writer: OpaquePointer?, _ data: UnsafeRawPointer?, _ length: UInt, _ timeoutSeconds: Double) -> Int32 {
    CStatus.run {
        let channel = try WriterHandle.open(writer)
        let count = try CStatus.messageLength(length, for: channel)
        guard data != nil || count == 0 else {
            throw ChannelError.invalidUse(channel: channel.channel, reason: "data is NULL for a message of \(count) bytes")
        }
        try channel.send(UnsafeRawBufferPointer(start: data, count: count), timeoutSeconds: timeoutSeconds)
    }
}

/// `shmkit_send_batch` of shmkit.h: sends several messages with as few cursor updates and wake-ups as the free slots allow.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_send_batch)
public func shmkitSendBatch(
    _ writer: OpaquePointer?, _ messages: UnsafePointer<UnsafeRawPointer?>?, _ lengths: UnsafePointer<UInt>?, _ count: UInt,
    _ timeoutSeconds: Double, _ sent: UnsafeMutablePointer<UInt>?
) -> Int32 {
    sent?.pointee = 0
    return CStatus.run {
        let channel = try WriterHandle.open(writer)
        let count = Int(clamping: count)
        guard count == 0 || (messages != nil && lengths != nil) else {
            throw ChannelError.invalidUse(channel: channel.channel, reason: "messages or lengths is NULL for \(count) messages")
        }
        // Every message is checked before any is sent, so that a failure never leaves part of
        // a batch behind for a reason the caller could have seen first.
        for index in 0..<count {
            let length = try CStatus.messageLength(lengths![index], for: channel)
            guard length == 0 || messages![index] != nil else {
                throw ChannelError.invalidUse(channel: channel.channel, reason: "messages[\(index)] is NULL for a message of \(length) bytes")
            }
        }
        try SecondsArgument.check(timeoutSeconds, argument: "timeout", channel: channel.channel)
        // One deadline for the whole batch: each round waits only for what is left of it.
        let deadline = Deadline.after(seconds: timeoutSeconds)
        var done = 0
        defer { sent?.pointee = UInt(done) }
        while done < count {
            let start = done
            let left = done == 0 || timeoutSeconds.isInfinite ? timeoutSeconds : deadline.map(\.secondsLeft) ?? 0
            done += try channel.writeBatch(maximum: count - done, timeoutSeconds: left) {
                index, slot in
                let length = Int(lengths![start + index])
                if length > 0, let source = messages![start + index] {
                    slot.baseAddress!.copyMemory(from: source, byteCount: length)
                }
                return length
            }
        }
    }
}

/// `shmkit_claim` of shmkit.h: claims a free slot for an in-place write.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_claim)
public func shmkitClaim(
    _ writer: OpaquePointer?, _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ capacity: UnsafeMutablePointer<Int>?,
    _ timeoutSeconds: Double
) -> Int32 {
    CStatus.run {
        let channel = try WriterHandle.open(writer)
        guard let slot, let capacity else {
            throw ChannelError.invalidUse(channel: channel.channel, reason: "slot or capacity is NULL")
        }
        let area = try channel.claim(timeoutSeconds: timeoutSeconds)
        slot.pointee = area.baseAddress
        capacity.pointee = area.count
    }
}

/// `shmkit_commit` of shmkit.h: publishes the claimed slot.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_commit)
public func shmkitCommit(_ writer: OpaquePointer?, _ length: UInt) -> Int32 {
    CStatus.run {
        let channel = try WriterHandle.open(writer)
        try channel.commit(length: try CStatus.messageLength(length, for: channel))
    }
}

/// `shmkit_abandon` of shmkit.h: gives the claimed slot up; readers skip it.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_abandon)
public func shmkitAbandon(_ writer: OpaquePointer?) -> Int32 {
    CStatus.run {
        let channel = try WriterHandle.open(writer)
        guard channel.hasClaim else { throw ChannelError.invalidUse(channel: channel.channel, reason: "no slot is claimed") }
        channel.abandonClaim()
    }
}

/// `shmkit_writer_close` of shmkit.h: detaches the writer; its handle stays valid until it is freed.
///
/// Returns the status of the call (0, or the sysexits code the commands use); the header
/// documents its arguments, who owns which buffer, and what happens on close and timeout.
@c(shmkit_writer_close)
public func shmkitWriterClose(_ writer: OpaquePointer?) -> Int32 {
    WriterHandle.close(writer)
    return 0
}

/// `shmkit_writer_free` of shmkit.h: closes the writer if it is open and frees its handle.
///
/// NULL is fine; using the handle afterwards is undefined.
@c(shmkit_writer_free)
public func shmkitWriterFree(_ writer: OpaquePointer?) {
    WriterHandle.free(writer)
}
