import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("messages through shm-writer and shm-reader")
struct TrafficTests {
    /// Sends `count` numbered lines through a ring of `slots` slots with the real clients and
    /// checks that the reader printed exactly them, in order.
    func stream(count: Int, slots: Int, protocol proto: String) throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "stream"
                slots = \(slots)
                slot-size = 64
                protocol = "\(proto)"
                """)
        let lines = (0..<count).map { String(format: "message %07d of the stream, padded to 42", $0) }
        let reader = try daemon.startClient("shm-reader", ["stream", "--count", "\(count)"])
        let writer = try daemon.startClient("shm-writer", ["stream"], stdin: true)
        writer.feed(Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(writer.waitForExit(seconds: 120) == 0, "writer: \(writer.stderr)")
        #expect(reader.waitForExit(seconds: 120) == 0, "reader: \(reader.stderr)")
        let received = reader.stdoutLines
        #expect(received.count == count)
        let firstDifference = zip(received, lines).enumerated().first { $0.element.0 != Substring($0.element.1) }?.offset
        #expect(firstDifference == nil, "first difference at message \(firstDifference ?? -1)")
        let snapshot = try ChannelSnapshot(channel: "stream", prefix: daemon.prefix)
        #expect(snapshot.counters[.written] == UInt64(count))
        #expect(snapshot.counters[.read] == UInt64(count))
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("100,000 messages through a 64-slot ring: all of them, in order, once", arguments: ["fast", "classic"])
    func hundredThousandThrough64Slots(proto: String) throws {
        try stream(count: 100_000, slots: 64, protocol: proto)
    }

    @Test("100,000 messages through 1 slot, the seed's ping-pong", arguments: ["fast", "classic"])
    func hundredThousandThroughOneSlot(proto: String) throws {
        try stream(count: 100_000, slots: 1, protocol: proto)
    }

    @Test("the seed's C writer and reader interoperate with shm-reader and shm-writer on a seed channel")
    func seedInterop() throws {
        let binaries = try SeedPrograms.build()
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "seed"
                layout = "seed"
                segment = "/@P_my_shm"
                sem-empty = "/@P_sem_empty"
                sem-full = "/@P_sem_full"
                """)
        let p = daemon.prefix
        let objects = ["/\(p)_my_shm", "/\(p)_sem_empty", "/\(p)_sem_full"]

        // C writer -> shm-reader
        let reader = try daemon.startClient("shm-reader", ["seed", "--count", "50"])
        let cWriter = try run(binaries.writer, objects + ["50"], seconds: 60)
        #expect(cWriter.status == 0, "\(cWriter.stderr)")
        #expect(reader.waitForExit(seconds: 60) == 0, "\(reader.stderr)")
        #expect(reader.stdoutLines == (0..<50).map { Substring("Message \($0) from writer") })

        // shm-writer -> C reader
        let cReader = try ChildProcess(binaries.reader, objects + ["3"])
        let sent = try daemon.client("shm-writer", ["seed", "--message", "hello from Swift", "--message", "second", "--message", "third"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(cReader.waitForExit(seconds: 30) == 0)
        #expect(cReader.stdout == "Reader: read 'hello from Swift'\nReader: read 'second'\nReader: read 'third'\n")

        // A message the seed's 1024-byte C string cannot hold is refused, not truncated.
        let long = try daemon.client("shm-writer", ["seed", "--message", String(repeating: "x", count: 1024)])
        #expect(long.status == 65)
        #expect(long.stderr.contains("1024 bytes") && long.stderr.contains("(1023 bytes)"))

        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(p).isEmpty)
    }
}

/// The seed's programs, compiled with the system's C compiler once per test run.
enum SeedPrograms {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("C").path
    private static let built = Locked<(writer: String, reader: String)?>(nil)

    static func build() throws -> (writer: String, reader: String) {
        try built.withLock { built in
            if let built { return built }
            let directory = NSTemporaryDirectory() + "shmd-seed-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in ["seed_writer", "seed_reader"] {
                let result = try run("/usr/bin/cc", ["-O2", "-Wall", "-o", "\(directory)/\(name)", "\(source)/\(name).c", "-pthread"])
                guard result.status == 0 else { throw TestFailure("cc \(name).c failed: \(result.stderr)") }
            }
            let programs = (writer: "\(directory)/seed_writer", reader: "\(directory)/seed_reader")
            built = programs
            return programs
        }
    }
}
