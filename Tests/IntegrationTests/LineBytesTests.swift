import Foundation
import Glibc
import ShmKit
import Testing

/// In line mode a message is exactly the bytes between two newlines: `shm-writer` once decoded
/// stdin as UTF-8 (`readLine`), so invalid sequences became U+FFFD and CRLF lost its `\r`, and a
/// binary file grew from 19,649 to 35,475 bytes in transit.
@Suite("line mode moves bytes, not text: shm-writer | channel | shm-reader is byte-exact")
struct LineBytesTests {
    /// xorshift64*: reproducible from the seed a failure prints.
    struct Bytes {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        /// `count` random bytes, none of them `\n`, and none of `excluded`.
        mutating func line(_ count: Int, excluding excluded: Set<UInt8> = []) -> [UInt8] {
            var line: [UInt8] = []
            while line.count < count {
                let byte = UInt8(truncatingIfNeeded: next() >> 32)
                if byte != UInt8(ascii: "\n") && !excluded.contains(byte) { line.append(byte) }
            }
            return line
        }
    }

    /// FNV-1a, 64 bits.
    static func checksum(_ data: Data) -> UInt64 {
        data.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    /// Feeds `input` to shm-writer on `channel` and checks that shm-reader prints `expected`
    /// (each of the `count` messages and a `\n`) byte for byte: same count, same checksum.
    func roundTrip(_ daemon: TestDaemon, channel: String, input: Data, count: Int, expected: Data, seed: UInt64) throws {
        let reader = try daemon.startClient("shm-reader", [channel, "--count", "\(count)"])
        let writer = try daemon.startClient("shm-writer", [channel], stdin: true)
        writer.feed(input)
        #expect(writer.waitForExit(seconds: 60) == 0, "writer (seed \(seed)): \(writer.stderr)")
        #expect(reader.waitForExit(seconds: 60) == 0, "reader (seed \(seed)): \(reader.stderr)")
        let output = reader.stdoutData
        #expect(output.count == expected.count, "seed \(seed): \(output.count) bytes out for \(expected.count) expected")
        #expect(Self.checksum(output) == Self.checksum(expected), "seed \(seed)")
        let difference = zip(output, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(difference == nil, "seed \(seed): first difference at byte \(difference ?? -1)")
    }

    @Test(
        "random binary lines (invalid UTF-8, \\r, NUL) through a ring channel, the last one without a newline",
        arguments: ["fast", "classic"])
    func binaryThroughRing(proto: String) throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "bytes"
                slots = 8
                slot-size = 300
                protocol = "\(proto)"
                """)
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = Bytes(state: seed)
        // Lengths from 0 (an empty line is an empty message) to the slot size, longer than the
        // writer's 64 KiB reads in total so that lines straddle them.
        var lines = (0..<1500).map { _ in random.line(Int(random.next() % 301)) }
        lines[0] = [0xFF, 0xFE, 0x00, 0x0D, 0xC3, 0x28, 0xE2, 0x82] // invalid UTF-8, NUL, \r
        lines[1] = []
        lines.append(Array("no newline after me".utf8))
        let input = Data(lines.map { Data($0) }.joined(separator: Data([0x0A])))
        let expected = input + Data([0x0A])
        try roundTrip(daemon, channel: "bytes", input: input, count: lines.count, expected: expected, seed: seed)
        #expect(daemon.stop() == 0)
    }

    @Test("random lines without NUL through a seed channel (a C string holds no NUL)")
    func binaryThroughSeed() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "seed"
                layout = "seed"
                segment = "/@P_lb_shm"
                sem-empty = "/@P_lb_empty"
                sem-full = "/@P_lb_full"
                """)
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = Bytes(state: seed)
        // 0 to 1023 bytes: the seed's 1024-byte buffer holds them and their NUL.
        let lines = (0..<200).map { _ in random.line(Int(random.next() % 1024), excluding: [0]) }
        let input = Data(lines.map { Data($0) }.joined(separator: Data([0x0A]))) + Data([0x0A])
        try roundTrip(daemon, channel: "seed", input: input, count: lines.count, expected: input, seed: seed)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("a line longer than the slot, over several reads of stdin: 65 with its exact size, after the lines before it")
    func longLine() throws {
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"small\"\nslots = 4\nslot-size = 16\n")
        let input = Data("fits\n".utf8) + Data(repeating: UInt8(ascii: "y"), count: 200_000) + Data("\nnever sent\n".utf8)
        let result = try daemon.client("shm-writer", ["small"], input: input)
        #expect(result.status == 65)
        #expect(result.stderr.contains("message of 200000 bytes is larger than a slot of channel 'small' (16 bytes)"), "\(result.stderr)")
        #expect(try daemon.client("shm-reader", ["small", "--timeout", "0"]).stdout == "fits\n")
        #expect(daemon.stop() == 0)
    }

    @Test("CRLF lines keep their \\r; a final newline adds no empty message")
    func crlfKept() throws {
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"crlf\"\n")
        let input = Data("one\r\ntwo\r\n\r\n".utf8)
        try roundTrip(daemon, channel: "crlf", input: input, count: 3, expected: input, seed: 0)
        let snapshot = try ChannelSnapshot(channel: "crlf", prefix: daemon.prefix)
        #expect(snapshot.counters[.written] == 3)
        #expect(daemon.stop() == 0)
    }
}
