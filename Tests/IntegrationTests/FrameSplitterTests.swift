import Foundation
import Testing

@testable import shm_writer

/// `FrameSplitter`, the frame reader of `shm-writer --binary`, on its own: however a stream is
/// cut into reads, the same frames come out.
@Suite("FrameSplitter cuts a stream into frames wherever its reads end")
struct FrameSplitterTests {
    /// What the splitter hands out, as values.
    enum Piece: Equatable {
        case bytes([UInt8])
        case tooLong(Int)
    }

    /// Feeds `stream` in reads of the sizes `cuts` gives in turn (the rest at once when they run
    /// out), and returns the pieces and what `finish` said.
    static func split(_ stream: [UInt8], limit: Int, cuts: [Int]) -> ([Piece], FrameSplitter.Truncation?) {
        var splitter = FrameSplitter(limit: limit)
        var pieces: [Piece] = []
        var offset = 0
        var next = cuts.makeIterator()
        while offset < stream.count {
            let end = min(stream.count, offset + (next.next() ?? stream.count))
            stream[offset..<end].withUnsafeBytes { chunk in
                splitter.feed(chunk) { frame in
                    switch frame {
                    case let .bytes(bytes): pieces.append(.bytes(Array(bytes)))
                    case let .tooLong(size): pieces.append(.tooLong(size))
                    }
                }
            }
            offset = end
        }
        return (pieces, splitter.finish())
    }

    static func frame(_ bytes: [UInt8]) -> [UInt8] { [UInt8](Frames.encode([bytes])) }

    @Test("the same frames in one read, in reads of every size from 1 byte, and in random reads")
    func anyCuts() {
        let messages: [[UInt8]] = [[], [0], Array("a\nb".utf8), [UInt8](repeating: 0xAB, count: 20), [], [1, 2, 3]]
        let stream = messages.flatMap(Self.frame)
        let expected = messages.map(Piece.bytes)
        #expect(Self.split(stream, limit: 20, cuts: []) == (expected, nil))
        for size in 1...stream.count {
            #expect(Self.split(stream, limit: 20, cuts: Array(repeating: size, count: stream.count)) == (expected, nil), "reads of \(size)")
        }
        var random = Frames.Random(seed: 7)
        for _ in 0..<200 {
            let cuts = (0..<stream.count).map { _ in Int(random.next() % 9) + 1 }
            #expect(Self.split(stream, limit: 20, cuts: cuts) == (expected, nil), "reads of \(cuts)")
        }
    }

    @Test("a frame longer than the limit is reported by its length and skipped, in any reads")
    func tooLong() {
        let stream = Self.frame([9]) + Self.frame([UInt8](repeating: 5, count: 21)) + Self.frame([8, 8])
        let expected: [Piece] = [.bytes([9]), .tooLong(21), .bytes([8, 8])]
        for size in [1, 3, 4, 5, 7, stream.count] {
            #expect(Self.split(stream, limit: 20, cuts: Array(repeating: size, count: stream.count)) == (expected, nil), "reads of \(size)")
        }
        // Reported on its length alone, before any of its bytes.
        #expect(
            Self.split([0xFF, 0xFF, 0xFF, 0xFF], limit: 20, cuts: []) == ([.tooLong(4_294_967_295)], .payload(size: 4_294_967_295, missing: 4_294_967_295)))
    }

    @Test("a stream that ends inside a length or inside a frame says how many bytes are missing")
    func truncation() {
        let stream = Self.frame([1, 2]) + Self.frame([UInt8](repeating: 3, count: 10))
        for cut in 1...13 {
            let missing: FrameSplitter.Truncation = cut <= 10 ? .payload(size: 10, missing: cut) : .length(missing: cut - 10)
            for size in [1, 2, 5, stream.count] {
                let (pieces, truncation) = Self.split(Array(stream.dropLast(cut)), limit: 20, cuts: Array(repeating: size, count: stream.count))
                #expect(pieces == [.bytes([1, 2])], "cut \(cut), reads of \(size)")
                #expect(truncation == missing, "cut \(cut), reads of \(size)")
            }
        }
        #expect(Self.split([], limit: 20, cuts: []) == ([], nil))
    }
}
