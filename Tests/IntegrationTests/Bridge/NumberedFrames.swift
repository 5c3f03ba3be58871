import Foundation
import Glibc
import TestSupport

/// A file of `count` frames for `shm-writer --binary`, each message of random length (8 bytes to
/// `maximumSize`, one in 16 exactly `maximumSize`) starting with its number (8 bytes,
/// little-endian), then random bytes; and the offset of each frame, so that a check can compare
/// what arrived with what was sent, message by message.
struct NumberedFrames {
    let path: String
    let count: Int
    let seed: UInt64
    /// Where frame `i` starts in the file, and (at `count`) where the file ends.
    let offsets: [Int]

    var totalBytes: Int { offsets[count] }

    /// The length of message `index`.
    func length(_ index: Int) -> Int { offsets[index + 1] - offsets[index] - 4 }

    /// Writes the file.
    init(path: String, count: Int, maximumSize: Int, seed: UInt64 = UInt64.random(in: 1...UInt64.max)) throws {
        self.path = path
        self.count = count
        self.seed = seed
        var random = Frames.Random(seed: seed)
        var offsets = [Int](repeating: 0, count: count + 1)
        var lengths = [Int](repeating: 0, count: count)
        for index in 0..<count {
            let pick = random.next()
            lengths[index] = pick % 16 == 1 ? maximumSize : 8 + Int((pick >> 8) % UInt64(maximumSize - 7))
            offsets[index + 1] = offsets[index] + 4 + lengths[index]
        }
        var data = Data(count: offsets[count])
        data.withUnsafeMutableBytes { buffer in
            for index in 0..<count {
                let start = offsets[index]
                buffer.storeBytes(of: UInt32(lengths[index]).littleEndian, toByteOffset: start, as: UInt32.self)
                buffer.storeBytes(of: UInt64(index).littleEndian, toByteOffset: start + 4, as: UInt64.self)
                var filled = 8
                while filled < lengths[index] {
                    let word = random.next()
                    let bytes = min(8, lengths[index] - filled)
                    if bytes == 8 {
                        buffer.storeBytes(of: word, toByteOffset: start + 4 + filled, as: UInt64.self)
                    } else {
                        for byte in 0..<bytes { buffer[start + 4 + filled + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
                    }
                    filled += bytes
                }
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw TestFailure("cannot write \(path)") }
        self.offsets = offsets
    }

    /// The frame of message `index` (length and bytes), as the file has it.
    func frame(_ index: Int, in file: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file[offsets[index]..<offsets[index + 1]])
    }
}

/// Checks, as it grows, the file a `shm-reader --binary` writes against the `NumberedFrames`
/// sent (all of them, or those `expecting` names): every frame must be one of them byte for
/// byte; they must come in order; a frame that comes again is a duplicate (counted), and one
/// that comes before an earlier one means a loss.
final class FrameCheck {
    let sent: NumberedFrames
    private let output: FileHandle
    private let input: Data
    private var pending = Data()
    /// The numbers of the messages expected, in order.
    let expected: [Int]
    /// Where each message is in `expected` (-1: not expected).
    private let position: [Int]
    /// How many of `expected` arrived, in order.
    private(set) var next = 0
    private(set) var duplicates = 0
    /// The first thing wrong (a loss, a message that is not one sent), or `nil`.
    private(set) var failure: String?
    private(set) var framesRead = 0

    init(sent: NumberedFrames, output path: String, expecting: [Int]? = nil) throws {
        self.sent = sent
        expected = expecting ?? Array(0..<sent.count)
        var position = [Int](repeating: -1, count: sent.count)
        for (index, number) in expected.enumerated() { position[number] = index }
        self.position = position
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TestFailure("cannot open \(path)") }
        output = handle
        input = try Data(contentsOf: URL(fileURLWithPath: sent.path), options: .alwaysMapped)
    }

    deinit { try? output.close() }

    /// Whether every message arrived (or something is wrong: see `failure`).
    var done: Bool { next == expected.count || failure != nil }

    /// Reads what was appended to the output since the last call and checks it.
    func poll() {
        guard failure == nil, let more = try? output.readToEnd(), !more.isEmpty else { return }
        pending.append(more)
        var offset = pending.startIndex
        input.withUnsafeBytes { file in
            pending.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var at = 0
                while failure == nil && buffer.count - at >= 12 {
                    let length = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    guard buffer.count - at - 4 >= length else { break }
                    let number = Int(UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: at + 4, as: UInt64.self)))
                    let frame = UnsafeRawBufferPointer(rebasing: buffer[at..<at + 4 + length])
                    check(frame, number: number, file: file)
                    at += 4 + length
                    framesRead += 1
                }
                offset += at
            }
        }
        pending.removeSubrange(pending.startIndex..<offset)
    }

    private func check(_ frame: UnsafeRawBufferPointer, number: Int, file: UnsafeRawBufferPointer) {
        guard number >= 0 && number < sent.count, position[number] >= 0 else {
            failure = "frame \(framesRead) (\(frame.count - 4) bytes) carries number \(number), not one expected here (seed \(sent.seed))"
            return
        }
        let original = sent.frame(number, in: file)
        guard original.count == frame.count, memcmp(original.baseAddress!, frame.baseAddress!, frame.count) == 0 else {
            failure = "frame \(framesRead), message \(number): \(frame.count - 4) bytes differ from the \(original.count - 4) sent (seed \(sent.seed))"
            return
        }
        let at = position[number]
        if at == next {
            next += 1
        } else if at < next {
            duplicates += 1
        } else {
            failure =
                "frame \(framesRead) is message \(number), but \(expected[next]) was expected: \(at - next) messages lost (seed \(sent.seed))"
        }
    }

    /// Polls until every message arrived or something is wrong, at most `seconds`.
    ///
    /// - Returns: whether every message arrived.
    /// - Parameter giveUp: checked at each poll: `true` ends the wait at once (a part died).
    func waitForAll(seconds: Double, giveUp: () -> Bool = { false }) -> Bool {
        _ = waitUntil(seconds: seconds, interval: 20_000) {
            poll()
            return done || giveUp()
        }
        return next == expected.count && failure == nil
    }

    /// What it saw, for a failure's message.
    var summary: String {
        "\(next) of \(expected.count) messages in order, \(duplicates) duplicates, \(framesRead) frames read\(failure.map { "; \($0)" } ?? "")"
    }
}
