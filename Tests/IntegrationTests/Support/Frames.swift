import Foundation

/// Streams of frames, as `shm-writer --binary` reads them and `shm-reader --binary` writes them:
/// each a 4-byte little-endian length, then that many bytes. A channel that delivers every
/// message byte-exact and in order turns a writer's input into the same bytes on a reader's
/// output, so one comparison checks them all.
enum Frames {
    /// xorshift64*: reproducible from the seed a failure prints.
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed == 0 ? 1 : seed }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    /// `count` frames of random length from 0 to `maximumSize`, framed back to back. One in 16 is
    /// empty and one in 16 exactly `maximumSize` bytes; the bytes are random (NUL one in 256), and
    /// one message in 16 is NULs only.
    static func random(count: Int, maximumSize: Int, seed: UInt64) -> Data {
        var random = Random(seed: seed)
        var lengths = [Int](repeating: 0, count: count)
        var total = 0
        for index in 0..<count {
            let pick = random.next()
            switch pick % 16 {
            case 0: lengths[index] = 0
            case 1: lengths[index] = maximumSize
            default: lengths[index] = Int((pick >> 8) % UInt64(maximumSize + 1))
            }
            total += 4 + lengths[index]
        }
        var data = Data(count: total)
        data.withUnsafeMutableBytes { buffer in
            var offset = 0
            for length in lengths {
                buffer.storeBytes(of: UInt32(length).littleEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
                let zeros = random.next() % 16 == 0
                var filled = 0
                while filled < length {
                    let word = zeros ? 0 : random.next()
                    let bytes = min(8, length - filled)
                    if bytes == 8 {
                        buffer.storeBytes(of: word, toByteOffset: offset + filled, as: UInt64.self)
                    } else {
                        for byte in 0..<bytes { buffer[offset + filled + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
                    }
                    filled += bytes
                }
                offset += length
            }
        }
        return data
    }

    /// `messages` as one stream of frames.
    static func encode(_ messages: [[UInt8]]) -> Data {
        var data = Data()
        for message in messages {
            withUnsafeBytes(of: UInt32(message.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: message)
        }
        return data
    }

    /// The frames of `data`: each message's byte range in it, and how many bytes at the end are
    /// not a whole frame.
    static func ranges(_ data: Data) -> (frames: [Range<Int>], rest: Int) {
        var frames: [Range<Int>] = []
        var offset = data.startIndex
        while data.endIndex - offset >= 4 {
            let length = (0..<4).reduce(0) { $0 | Int(data[offset + $1]) << (8 * $1) }
            guard data.endIndex - offset - 4 >= length else { break }
            frames.append(offset + 4..<offset + 4 + length)
            offset += 4 + length
        }
        return (frames, data.endIndex - offset)
    }

    /// Where `output` first differs from `expected`, in frames, for a failure's message; `nil`
    /// when they are equal.
    static func firstDifference(_ output: Data, _ expected: Data) -> String? {
        if output == expected { return nil }
        let (got, gotRest) = ranges(output)
        let (wanted, _) = ranges(expected)
        for (index, (left, right)) in zip(got, wanted).enumerated() where output[left] != expected[right] {
            return "frame \(index) differs: \(left.count) bytes out, \(right.count) expected"
        }
        return "\(got.count) whole frames out (and \(gotRest) bytes more), \(wanted.count) expected"
    }
}
