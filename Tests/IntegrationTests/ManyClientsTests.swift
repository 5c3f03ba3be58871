import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("many writers, many readers, real processes", .serialized)
struct ManyClientsTests {
    /// `SHMD_SOAK` multiplies the message counts, for a long run.
    static let scale = Int(ProcessInfo.processInfo.environment["SHMD_SOAK"] ?? "") ?? 1

    /// A message of writer `writer`, number `sequence`, with a checksum of both.
    static func line(writer: Int, sequence: Int) -> String {
        "w\(writer) \(sequence) \(checksum(writer, sequence))"
    }

    static func checksum(_ writer: Int, _ sequence: Int) -> UInt32 {
        // FNV-1a over the two numbers: a damaged or mixed-up message fails it.
        var hash: UInt32 = 2_166_136_261
        for byte in withUnsafeBytes(of: (UInt64(writer), UInt64(sequence)), Array.init) {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return hash
    }

    @Test(
        "4 writers × 4 readers × 1,000,000 messages: no loss, no duplicate, each writer's order kept",
        arguments: ["fast", "classic"])
    func fourByFour(proto: String) throws {
        let writers = 4
        let readers = 4
        let perWriter = 1_000_000 * Self.scale
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "many"
                slots = 256
                slot-size = 64
                protocol = "\(proto)"
                """)
        let readerProcesses = try (0..<readers).map { _ in try daemon.startClient("shm-reader", ["many"]) }
        let writerProcesses = try (0..<writers).map { _ in try daemon.startClient("shm-writer", ["many"], stdin: true) }
        // Feed the writers from threads of their own: each pipe blocks while its writer is busy.
        let fed = DispatchGroup()
        for (index, writer) in writerProcesses.enumerated() {
            fed.enter()
            Thread.detachNewThread {
                var text = ""
                text.reserveCapacity(perWriter * 24)
                for sequence in 0..<perWriter { text += Self.line(writer: index, sequence: sequence) + "\n" }
                writer.feed(Data(text.utf8))
                fed.leave()
            }
        }
        #expect(fed.wait(timeout: .now() + 600) == .success)
        for writer in writerProcesses {
            // shmd's log says why, should it ever find the channel damaged under this load.
            #expect(writer.waitForExit(seconds: 600) == 0, "\(writer.stderr)\nshmd: \(daemon.child.stderr.suffix(2_000))")
        }
        let total = UInt64(writers * perWriter)
        #expect(waitUntil(seconds: 600) { (try? ChannelSnapshot(channel: "many", prefix: daemon.prefix))?.counters[.read] == total })
        // Closing the channel ends the readers once it is drained.
        #expect(daemon.stop() == 0)
        var seen = Array(repeating: [Int](), count: writers)
        for reader in readerProcesses {
            #expect(reader.waitForExit(seconds: 30) == 0, "\(reader.stderr)")
            var last = Array(repeating: -1, count: writers)
            for line in reader.stdoutLines {
                let fields = line.split(separator: " ")
                guard fields.count == 3, let writer = Int(fields[0].dropFirst()), writer < writers,
                    let sequence = Int(fields[1]), UInt32(fields[2]) == Self.checksum(writer, sequence)
                else {
                    Issue.record("damaged message: \(line)")
                    continue
                }
                // One reader sees each writer's messages in that writer's order.
                if sequence <= last[writer] { Issue.record("writer \(writer): \(sequence) after \(last[writer])") }
                last[writer] = sequence
                seen[writer].append(sequence)
            }
        }
        for (writer, sequences) in seen.enumerated() {
            let sorted = sequences.sorted()
            let distinct = Set(sorted).count
            #expect(
                sorted.count == perWriter && distinct == perWriter && sorted.first == 0 && sorted.last == perWriter - 1,
                "writer \(writer): \(sorted.count) received, \(distinct) distinct, of \(perWriter)")
        }
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
