import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// SIGKILL a random writer or reader at a random moment while traffic flows, round after round,
/// and account for every message: the survivors finish, the channel drains soon after, and each
/// message was delivered, or abandoned (the one a killed writer was writing) or delivered again
/// (one a killed reader held).
@Suite("fault injection: clients killed mid-stream", .serialized)
struct FaultInjectionTests {
    /// `SHMD_SOAK` multiplies the rounds.
    static let rounds =
        Int(ProcessInfo.processInfo.environment["SHMD_FAULT_ROUNDS"] ?? "") ?? 200 * (Int(ProcessInfo.processInfo.environment["SHMD_SOAK"] ?? "") ?? 1)
    static let perWriter = 150

    @Test("200 rounds of SIGKILL to a random client: nothing lost, nothing stalled", arguments: ["fast", "classic"])
    func killRandomClients(proto: String) throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "chaos"
                slots = 8
                slot-size = 64
                protocol = "\(proto)"
                """, daemonExtra: "sweep-interval = 0.05")
        var generator = SystemRandomNumberGenerator()
        var killedWriters = 0
        var killedReaders = 0
        for round in 0..<Self.rounds {
            let before = try ChannelSnapshot(channel: "chaos", prefix: daemon.prefix).counters
            let readers = try (0..<2).map { _ in try daemon.startClient("shm-reader", ["chaos"]) }
            let writers = try (0..<2).map { _ in try daemon.startClient("shm-writer", ["chaos", "--timeout", "5"], stdin: true) }
            for (index, writer) in writers.enumerated() {
                let lines = (0..<Self.perWriter).map { "r\(round) w\(index) \($0)\n" }.joined()
                writer.feed(Data(lines.utf8))
            }
            let victimIndex = Int.random(in: 0..<4, using: &generator)
            let victim = victimIndex < 2 ? writers[victimIndex] : readers[victimIndex - 2]
            usleep(UInt32.random(in: 0...15_000, using: &generator))
            victim.signal(SIGKILL)
            if victimIndex < 2 { killedWriters += 1 } else { killedReaders += 1 }

            for writer in writers where writer !== victim {
                #expect(writer.waitForExit(seconds: 10) == 0, "round \(round): surviving writer: \(writer.stderr)")
            }
            _ = victim.waitForExit(seconds: 5)
            // Everything written is taken and handled within a second, repairs included: the
            // victim's entry is freed (shmd repaired it), nothing it held waits to be written
            // back, and no surviving reader is still printing a message it took (killing it then
            // would have shmd deliver that message again, into the next round).
            let workDone = Date()
            let drained = waitUntil(seconds: 5) {
                guard let snapshot = try? ChannelSnapshot(channel: "chaos", prefix: daemon.prefix) else { return false }
                return snapshot.queued == 0 && snapshot.unreleased == 0 && snapshot.counters[.pendingRedelivery] == 0
                    && !snapshot.clients.contains { $0.process.pid == victim.pid }
            }
            #expect(drained && Date().timeIntervalSince(workDone) < 1, "round \(round): channel not drained within 1 s")
            // SIGKILL, not SIGTERM: the test runner's children may inherit SIGTERM ignored, and a
            // reader left running would take the next round's messages. shmd repairs after it.
            for reader in readers where reader !== victim { reader.signal(SIGKILL) }
            for reader in readers {
                #expect(reader.waitForExit(seconds: 5) != nil, "round \(round): a reader did not stop")
            }

            let after = try ChannelSnapshot(channel: "chaos", prefix: daemon.prefix).counters
            let redelivered = Int(after[.redelivered]! - before[.redelivered]!)
            var received: [Int: [Int]] = [0: [], 1: []]
            for reader in readers {
                for line in reader.stdoutLines {
                    let fields = line.split(separator: " ")
                    guard fields.count == 3, fields[0] == "r\(round)", let writer = Int(fields[1].dropFirst()),
                        let sequence = Int(fields[2])
                    else {
                        Issue.record("round \(round): foreign or damaged message '\(line)'")
                        continue
                    }
                    received[writer, default: []].append(sequence)
                }
            }
            var duplicates = 0
            for writer in 0..<2 {
                let sequences = received[writer] ?? []
                let distinct = Set(sequences)
                duplicates += sequences.count - distinct.count
                if writers[writer] === victim {
                    // What a killed writer published arrives; the slot it was filling is abandoned.
                    #expect(distinct == Set(0..<distinct.count), "round \(round): killed writer's messages have a gap")
                } else {
                    #expect(
                        distinct == Set(0..<Self.perWriter),
                        "round \(round): writer \(writer) delivered \(distinct.count) of \(Self.perWriter)")
                }
            }
            #expect(duplicates <= redelivered, "round \(round): \(duplicates) duplicates, \(redelivered) redelivered")
        }
        #expect(killedWriters + killedReaders == Self.rounds)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
