#if canImport(Glibc)
import Glibc
#endif

/// Cuts a byte stream into the messages of line mode: a message is exactly the bytes between two
/// `\n`, whatever they are (invalid UTF-8, `\r`, NUL), never decoded. The last piece is a message
/// too when it is not empty, so a stream without a final `\n` loses nothing, while a final `\n`
/// does not add an empty message (as with `readLine`): `a\nb` and `a\nb\n` are both `a`, `b`;
/// `\n` alone is one empty message.
///
/// Lines are handed out of the chunk they arrived in, without a copy, unless they began in an
/// earlier chunk. A line longer than `limit` is not kept, only counted, so that its exact size
/// can be reported without holding it in memory.
struct LineSplitter {
    /// A complete line.
    enum Line {
        /// Its bytes, valid only during the call.
        case bytes(UnsafeRawBufferPointer)
        /// It has `size` bytes, more than `limit`.
        case tooLong(size: Int)
    }

    /// The most bytes a line may have to be handed out (the channel's slot size).
    let limit: Int
    /// The start of a line that began in an earlier chunk, at most `limit` bytes of it.
    private var pending: [UInt8] = []
    /// The size of that line so far, kept or not.
    private var pendingSize = 0

    init(limit: Int) {
        self.limit = limit
        pending.reserveCapacity(min(limit, 1 << 16))
    }

    /// Hands each line that ends in `chunk` to `line`, in order, and keeps the unfinished rest.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ line: (Line) throws -> Void) rethrows {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        while start < chunk.count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), chunk.count - start) {
            let end = base.distance(to: UnsafeRawPointer(found))
            let piece = UnsafeRawBufferPointer(start: base + start, count: end - start)
            if pendingSize == 0 {
                try line(piece.count <= limit ? .bytes(piece) : .tooLong(size: piece.count))
            } else {
                keep(piece)
                try flush(line)
            }
            start = end + 1
        }
        keep(UnsafeRawBufferPointer(rebasing: chunk[start...]))
    }

    /// At the end of the stream: hands the last line to `line` if it has any bytes.
    mutating func finish(_ line: (Line) throws -> Void) rethrows {
        if pendingSize > 0 { try flush(line) }
    }

    private mutating func keep(_ piece: UnsafeRawBufferPointer) {
        pendingSize += piece.count
        if pendingSize <= limit { pending.append(contentsOf: piece) }
    }

    private mutating func flush(_ line: (Line) throws -> Void) rethrows {
        defer {
            pending.removeAll(keepingCapacity: true)
            pendingSize = 0
        }
        if pendingSize > limit {
            try line(.tooLong(size: pendingSize))
        } else {
            try pending.withUnsafeBytes { try line(.bytes($0)) }
        }
    }
}
