import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// A concurrent corrupter: while writers and readers run on a victim channel, a process with
/// write access pokes random values into its header fields, slot sequences, lengths and client
/// entries. Nothing may die of a signal, nothing may outlive its deadline, every client ends
/// with a clear exit code, shmd survives, and the other channels deliver every message exactly.
/// `SHMD_CORRUPT_SECONDS` sets how long (60 s by default).
@Suite("a corrupter pokes a channel while it runs")
struct CorrupterTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["SHMD_CORRUPT_SECONDS"] ?? "") ?? 60
    /// Clear exit codes a victim client may end with: done, damaged or too large (65),
    /// closed or gone (69), timed out (75).
    static let clearExits: Set<Int32> = [0, 65, 69, 75]

    @Test("60 s of random pokes into a fast and a classic channel: shmd survives, every client exits clearly and in time, the calm channels lose nothing")
    func corrupterRuns() throws {
        let shm = try PrivateShm()
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "victim"
                slots = 16
                slot-size = 64
                [[channel]]
                name = "victim-classic"
                slots = 16
                slot-size = 64
                protocol = "classic"
                [[channel]]
                name = "calm"
                slots = 16
                slot-size = 64
                [[channel]]
                name = "calm-classic"
                slots = 16
                slot-size = 64
                protocol = "classic"
                """, daemonExtra: "sweep-interval = 0.1", prefix: TestNames.prefix("chaos"), launcher: shm.launcher())
        let end = Date().addingTimeInterval(Self.seconds)
        let outcomes = Outcomes()

        let corrupter = Thread {
            var generator = SystemRandomNumberGenerator()
            while Date() < end {
                for victim in ["victim", "victim-classic"] {
                    Self.poke(shm.path("\(daemon.prefix).\(victim)"), slots: 16, using: &generator)
                }
                usleep(UInt32.random(in: 1_000...300_000, using: &generator))
            }
            outcomes.finish("corrupter")
        }
        corrupter.start()
        for victim in ["victim", "victim-classic"] {
            for role in ["shm-writer", "shm-reader"] {
                Thread { Self.victimClients(role, channel: victim, daemon: daemon, until: end, outcomes: outcomes) }.start()
            }
        }
        var calmRounds = 0
        while Date() < end {
            for calm in ["calm", "calm-classic"] {
                try Self.exactRound(channel: calm, round: calmRounds, daemon: daemon)
            }
            calmRounds += 1
        }
        #expect(outcomes.wait(for: 5, seconds: 30), "the corrupter or a victim loop did not finish")
        #expect(daemon.child.process.isRunning, "shmd died: \(daemon.child.stderr.suffix(2000))")
        for (status, stderr) in outcomes.exits where !Self.clearExits.contains(status) {
            Issue.record("a victim client ended with \(status): \(stderr)")
        }
        #expect(outcomes.exits.count > 10, "too few victim clients ran: \(outcomes.exits.count)")
        #expect(calmRounds > 0)
        #expect(daemon.stop(seconds: 10) == 0)
        print(
            "corrupter: \(Int(Self.seconds)) s, \(outcomes.exits.count) victim clients, exits \(outcomes.histogram), \(calmRounds) exact rounds on each calm channel"
        )
    }

    /// One poke at a random field of the segment at `path`: a header word, a slot descriptor
    /// (sequence, length, flags) or a client entry, with a random or a nearly-right value.
    static func poke(_ path: String, slots: Int, using generator: inout SystemRandomNumberGenerator) {
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { return } // replaced at this moment
        defer { close(fd) }
        // Where the layout puts the client table and the slot descriptors (64 client entries).
        let clients = Layout.headerSize
        let descriptors = Layout.descriptorsOffset(clientCapacity: Layout.defaultClientCapacity)
        let offset: Int
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: offset = 8 * Int.random(in: 0..<64, using: &generator) // header words
        case 1: offset = clients + 64 * Int.random(in: 0..<Layout.defaultClientCapacity, using: &generator) + 4 * Int.random(in: 0..<8, using: &generator)
        default: offset = descriptors + 16 * Int.random(in: 0..<slots, using: &generator) + 4 * Int.random(in: 0..<4, using: &generator)
        }
        var value: UInt64
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: value = UInt64.random(in: 0...UInt64.max, using: &generator)
        case 1: value = UInt64.random(in: 0...64, using: &generator)
        case 2: value = UInt64.max
        default: value = 0
        }
        _ = withUnsafeBytes(of: &value) { pwrite(fd, $0.baseAddress, Int.random(in: 0..<2, using: &generator) == 0 ? 4 : 8, off_t(offset)) }
    }

    /// Starts clients of `role` on `channel`, one after another, each with a deadline, until `end`;
    /// records how each ended. A client still running well past its deadline is a hang.
    static func victimClients(_ role: String, channel: String, daemon: TestDaemon, until end: Date, outcomes: Outcomes) {
        let lines = Data((0..<2_000).map { "victim message \($0)\n" }.joined().utf8)
        while Date() < end {
            let arguments = role == "shm-writer" ? [channel, "--timeout", "2", "--wait", "2"] : [channel, "--timeout", "2", "--wait", "2", "--count", "2000"]
            guard let client = try? daemon.startClient(role, arguments, stdin: role == "shm-writer") else { continue }
            if role == "shm-writer" { client.feed(lines) }
            // 2,000 messages each waited for 2 s at most, plus attaching: a minute is far past any deadline.
            guard let status = client.waitForExit(seconds: 60) else {
                client.terminate()
                outcomes.record(-1, "\(role) on \(channel) hung past its deadline: \(client.stderr)")
                continue
            }
            outcomes.record(status, "\(role) on \(channel): \(client.stderr.suffix(500))")
        }
        outcomes.finish(role)
    }

    /// 20,000 numbered messages through `channel`: every one arrives, in order, exactly once.
    static func exactRound(channel: String, round: Int, daemon: TestDaemon) throws {
        let count = 20_000
        let reader = try daemon.startClient("shm-reader", [channel, "--count", "\(count)", "--timeout", "20"])
        let expected = (0..<count).map { "\(channel) r\(round) \($0)" }
        let writer = try daemon.client(
            "shm-writer", [channel, "--timeout", "20"],
            input: Data(expected.map { $0 + "\n" }.joined().utf8))
        #expect(writer.status == 0, "\(channel) round \(round): \(writer.stderr)")
        #expect(reader.waitForExit(seconds: 30) == 0, "\(channel) round \(round): \(reader.stderr)")
        #expect(reader.stdoutLines.map(String.init) == expected, "\(channel) round \(round): messages lost or changed")
    }

    /// What the victim loops saw, from several threads.
    ///
    /// `@unchecked Sendable`: `recorded` and `finished`, all its state, are read and changed only
    /// with `lock` held.
    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [(Int32, String)] = []
        private var finished = 0

        func record(_ status: Int32, _ stderr: String) { lock.withLock { recorded.append((status, stderr)) } }
        func finish(_: String) { lock.withLock { finished += 1 } }
        var exits: [(Int32, String)] { lock.withLock { recorded } }
        var histogram: [Int32: Int] { Dictionary(exits.map { ($0.0, 1) }, uniquingKeysWith: +) }

        func wait(for count: Int, seconds: Double) -> Bool {
            waitUntil(seconds: seconds) { lock.withLock { finished >= count } }
        }
    }
}
