import Foundation
import Glibc
import ShmKit
import Testing

/// `--binary`: frames (a 4-byte little-endian length, then the bytes) instead of lines, so that
/// any bytes pass, newlines too.
@Suite("--binary: shm-writer | channel | shm-reader moves frames byte-exact")
struct BinaryModeTests {
    /// A ring channel `bytes` of `slots` × `slotSize`.
    static func channel(_ proto: String, slots: Int = 64, slotSize: Int) -> String {
        """
        [[channel]]
        name = "bytes"
        slots = \(slots)
        slot-size = \(slotSize)
        protocol = "\(proto)"
        """
    }

    @Test("100,000 random messages (NULs, empty ones, ones of exactly the slot size) pass byte-exact", arguments: ["fast", "classic"])
    func randomFrames(proto: String) throws {
        let slotSize = 300
        let daemon = try TestDaemon(channels: Self.channel(proto, slotSize: slotSize))
        let seed = UInt64.random(in: 1...UInt64.max)
        let count = 100_000
        // Whatever the random lengths, the edges come first.
        let edges: [[UInt8]] = [[], [UInt8](repeating: 0, count: slotSize), Array("line\nwith\r\nnewlines\n".utf8), [0], [0x0A]]
        let input = Frames.encode(edges) + Frames.random(count: count, maximumSize: slotSize, seed: seed)
        let total = count + edges.count
        let reader = try daemon.startClient("shm-reader", ["bytes", "--binary", "--count", "\(total)"])
        let writer = try daemon.startClient("shm-writer", ["bytes", "--binary"], stdin: true)
        writer.feed(input)
        #expect(writer.waitForExit(seconds: 120) == 0, "writer (seed \(seed)): \(writer.stderr)")
        #expect(reader.waitForExit(seconds: 120) == 0, "reader (seed \(seed)): \(reader.stderr)")
        let output = reader.stdoutData
        #expect(output.count == input.count, "seed \(seed): \(output.count) bytes out for \(input.count) in")
        let difference = Frames.firstDifference(output, input)
        #expect(difference == nil, "seed \(seed): \(difference ?? "")")
        let snapshot = try ChannelSnapshot(channel: "bytes", prefix: daemon.prefix)
        #expect(snapshot.counters[.written] == UInt64(total))
        #expect(snapshot.counters[.read] == UInt64(total))
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("a frame longer than the slot: 65 with the too-large message, after the frames before it")
    func frameTooLarge() throws {
        let daemon = try TestDaemon(channels: Self.channel("fast", slots: 4, slotSize: 16))
        // Refused on its length, before its bytes are read; the frames after it are not sent.
        let sent: [[UInt8]] = [Array("fits".utf8), [UInt8](repeating: 7, count: 16)]
        let input = Frames.encode(sent + [[UInt8](repeating: 1, count: 17), Array("never sent".utf8)])
        let result = try daemon.client("shm-writer", ["bytes", "--binary"], input: input)
        #expect(result.status == 65)
        #expect(result.stderr.contains("message of 17 bytes is larger than a slot of channel 'bytes' (16 bytes)"), "\(result.stderr)")
        let huge = try daemon.client("shm-writer", ["bytes", "--binary"], input: Data([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]))
        #expect(huge.status == 65)
        #expect(huge.stderr.contains("message of 4294967295 bytes is larger than a slot of channel 'bytes' (16 bytes)"), "\(huge.stderr)")
        let read = try daemon.startClient("shm-reader", ["bytes", "--binary", "--timeout", "0"])
        #expect(read.waitForExit(seconds: 30) == 75, "\(read.stderr)")
        #expect(read.stdoutData == Frames.encode(sent))
        #expect(daemon.stop() == 0)
    }

    @Test(
        "standard input that ends inside a frame: 65 naming the missing bytes, after the frames before it",
        arguments: [
            // (bytes cut from the end of two frames "first" and 100 × "x", what stderr names)
            (1, "inside a frame of 100 bytes: 1 byte is missing"),
            (60, "inside a frame of 100 bytes: 60 bytes are missing"),
            (100, "inside a frame of 100 bytes: 100 bytes are missing"),
            (101, "inside the 4-byte length of a frame: 1 byte is missing"),
            (103, "inside the 4-byte length of a frame: 3 bytes are missing"),
        ])
    func truncatedFrame(cut: Int, expected: String) throws {
        let daemon = try TestDaemon(channels: Self.channel("fast", slots: 4, slotSize: 128))
        let whole = Frames.encode([Array("first".utf8), [UInt8](repeating: UInt8(ascii: "x"), count: 100)])
        let result = try daemon.client("shm-writer", ["bytes", "--binary"], input: whole.dropLast(cut))
        #expect(result.status == 65)
        #expect(result.stderr.contains("shm-writer: standard input for channel 'bytes' ends \(expected)"), "\(result.stderr)")
        let read = try daemon.startClient("shm-reader", ["bytes", "--binary", "--timeout", "0"])
        #expect(read.waitForExit(seconds: 30) == 75, "\(read.stderr)")
        #expect(read.stdoutData == Frames.encode([Array("first".utf8)]))
        #expect(daemon.stop() == 0)
    }

    @Test("empty input sends nothing; --binary with --message is a usage error")
    func emptyAndUsage() throws {
        let daemon = try TestDaemon(channels: Self.channel("fast", slots: 4, slotSize: 16))
        #expect(try daemon.client("shm-writer", ["bytes", "--binary"], input: Data()).status == 0)
        let usage = try daemon.client("shm-writer", ["bytes", "--binary", "--message", "x"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--binary reads frames from stdin: give no --message with it"), "\(usage.stderr)")
        #expect(try ChannelSnapshot(channel: "bytes", prefix: daemon.prefix).counters[.written] == 0)
        #expect(daemon.stop() == 0)
    }
}
