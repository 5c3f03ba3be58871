import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// One direction of a transport as a role sees it: whole messages of a fixed size.
protocol Outbox {
    /// Sends up to `maximum` messages; `stamp` writes message `index` of the batch. Returns how many were sent.
    func send(maximum: Int, size: Int, _ stamp: (Int, UnsafeMutableRawBufferPointer) -> Void) throws -> Int
}

protocol Inbox {
    /// Receives at least one and at most `maximum` messages, handing each to `body`.
    func receive(maximum: Int, size: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws -> Int
}

struct ChannelOutbox: Outbox {
    let writer: ChannelWriter

    @inline(__always)
    func send(maximum: Int, size: Int, _ stamp: (Int, UnsafeMutableRawBufferPointer) -> Void) throws -> Int {
        try writer.writeBatch(maximum: maximum) { index, slot in
            stamp(index, slot)
            return size
        }
    }
}

struct ChannelInbox: Inbox {
    let reader: ChannelReader

    @inline(__always)
    func receive(maximum: Int, size: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        guard let count = try reader.receiveBatch(maximum: maximum, body) else { throw BenchError("channel closed") }
        return count
    }
}

/// A pipe or stream socket carrying fixed-size messages: one write(2) and one read loop per
/// message, as a program that frames messages on a byte stream does.
final class StreamOutbox: Outbox {
    let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer

    init(fd: Int32, size: Int) {
        self.fd = fd
        buffer = .allocate(byteCount: max(size, 16), alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: Payload.filler)
    }

    deinit { buffer.deallocate() }

    func send(maximum: Int, size: Int, _ stamp: (Int, UnsafeMutableRawBufferPointer) -> Void) throws -> Int {
        stamp(0, buffer)
        try Syscall.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[..<size]), object: "the benchmark's stream")
        return 1
    }
}

final class StreamInbox: Inbox {
    let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer

    init(fd: Int32, size: Int) {
        self.fd = fd
        buffer = .allocate(byteCount: max(size, 16), alignment: 64)
    }

    deinit { buffer.deallocate() }

    func receive(maximum: Int, size: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        var offset = 0
        let base = buffer.baseAddress!
        while offset < size {
            let got = try Syscall.value(call: "read", object: "the benchmark's stream") { read(fd, base + offset, size - offset) }
            guard got > 0 else { throw BenchError("read: end of stream after \(offset) of \(size) bytes") }
            offset += got
        }
        body(UnsafeRawBufferPointer(rebasing: buffer[..<size]))
        return 1
    }
}
