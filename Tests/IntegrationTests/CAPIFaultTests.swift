import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// The crash guarantees of shmkit.h for C clients (Tests/IntegrationTests/C/shmkit_crash.c), in
/// the style of FaultInjectionTests: a C writer SIGKILLed while it holds a claimed slot, half
/// written, with another writer and two readers (one C, one shm-reader) running.
@Suite("libshmkit: a C writer killed holding a claimed slot", .serialized)
struct CAPIFaultTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SHMD_CAPI_CRASH_ROUNDS"] ?? "") ?? 20
    static let sweep = 0.1
    static let survivorCount = 400

    static func channel(_ proto: String) -> String {
        """
        [[channel]]
        name = "crash"
        slots = 8
        slot-size = 64
        protocol = "\(proto)"
        """
    }

    /// FNV-1a of `bytes`, as shmkit_crash.c computes it.
    static func fnv(_ bytes: Substring.UTF8View) -> UInt32 {
        bytes.reduce(2_166_136_261 as UInt32) { ($0 ^ UInt32($1)) &* 16_777_619 }
    }

    /// Writer and sequence of a message whose checksum holds; nil for a torn or foreign one.
    static func parse(_ line: Substring) -> (writer: Int, sequence: Int)? {
        guard let space = line.lastIndex(of: " "), let sum = UInt32(line[line.index(after: space)...], radix: 16),
            fnv(line[..<space].utf8) == sum
        else { return nil }
        let fields = line[..<space].split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].first == "w", let writer = Int(fields[0].dropFirst()), let sequence = Int(fields[1]) else {
            return nil
        }
        return (writer, sequence)
    }

    @Test("SIGKILL with a slot claimed and half written: abandoned within a sweep, never seen torn, the others finish", arguments: ["fast", "classic"])
    func killedHoldingAClaim(proto: String) throws {
        let program = try LibShmKit.testProgram("shmkit_crash")
        var generator = SystemRandomNumberGenerator()
        var repairTimes: [Double] = []
        for round in 0..<Self.rounds {
            let daemon = try TestDaemon(channels: Self.channel(proto), daemonExtra: "sweep-interval = \(Self.sweep)")
            let p = daemon.prefix
            let cReader = try ChildProcess(program, ["reader", p, "crash"])
            let swiftReader = try daemon.startClient("shm-reader", ["crash"])
            // Both readers attached before anything happens: one that came late, after the
            // stop below, would find no channel.
            let attached = waitUntil(seconds: 20) {
                let pids = (try? ChannelSnapshot(channel: "crash", prefix: p))?.clients.map(\.process.pid) ?? []
                return pids.contains(cReader.pid) && pids.contains(swiftReader.pid)
            }
            #expect(attached, "round \(round): the readers did not attach: \(cReader.stderr) \(swiftReader.stderr)")
            // The victim sends a random number of messages (readers take them meanwhile), then
            // claims a slot, writes half of its next message and says so.
            let before = Int.random(in: 0...40, using: &generator)
            let victim = try ChildProcess(program, ["victim", p, "crash", "0", "\(before)", "\(UInt32.random(in: 1...UInt32.max, using: &generator))"])
            guard waitUntil(seconds: 20, { victim.stdout.contains("claimed \(before)\n") || !victim.isRunning }) else {
                Issue.record("round \(round): the victim never claimed: \(victim.stderr)")
                victim.terminate()
                continue
            }
            #expect(victim.isRunning, "round \(round): \(victim.stderr)")
            // The survivor writes behind the claimed slot: it fills the ring and waits for the repair.
            let survivor = try ChildProcess(
                program, ["writer", p, "crash", "1", "\(Self.survivorCount)", "\(UInt32.random(in: 1...UInt32.max, using: &generator))"])
            let abandonedBefore = try ChannelSnapshot(channel: "crash", prefix: p).counters[.abandoned] ?? 0
            usleep(UInt32.random(in: 0...20_000, using: &generator))
            victim.signal(SIGKILL)
            let killed = Date()
            #expect(victim.waitForExit(seconds: 5) == 128 + SIGKILL)
            let repaired = waitUntil(seconds: 10, interval: 1_000) {
                ((try? ChannelSnapshot(channel: "crash", prefix: p))?.counters[.abandoned] ?? 0) == abandonedBefore + 1
            }
            let repairTime = Date().timeIntervalSince(killed)
            repairTimes.append(repairTime)
            #expect(repaired, "round \(round): the claimed slot was not abandoned")
            // Within one sweep, plus what a loaded machine adds to a process's wake-up.
            #expect(repairTime < Self.sweep + 0.5, "round \(round): abandoned \(repairTime) s after the kill")
            #expect(daemon.logs("client died: writer pid \(victim.pid) of channel crash exited without detaching; abandoned 1 slot(s) it was writing"))

            #expect(survivor.waitForExit(seconds: 30) == 0, "round \(round): survivor: \(survivor.stderr)")
            let drained = waitUntil(seconds: 10) {
                guard let snapshot = try? ChannelSnapshot(channel: "crash", prefix: p) else { return false }
                return snapshot.queued == 0 && snapshot.unreleased == 0
            }
            #expect(drained, "round \(round): the readers did not drain the channel")
            // The readers finish when shmd closes the channel: exit 0 after the last message.
            #expect(daemon.stop() == 0)
            #expect(cReader.waitForExit(seconds: 10) == 0, "round \(round): C reader: \(cReader.stderr)")
            #expect(swiftReader.waitForExit(seconds: 10) == 0, "round \(round): shm-reader: \(swiftReader.stderr)")

            var received: [Int: [Int]] = [0: [], 1: []]
            for reader in [cReader, swiftReader] {
                var last: [Int: Int] = [:]
                for line in reader.stdout.split(separator: "\n") {
                    guard let (writer, sequence) = Self.parse(line) else {
                        Issue.record("round \(round): a torn or foreign message '\(line)'")
                        continue
                    }
                    // Each reader's share of a writer is in order.
                    #expect(sequence > last[writer, default: -1], "round \(round): writer \(writer) out of order")
                    last[writer] = sequence
                    received[writer, default: []].append(sequence)
                }
            }
            // Everything the victim published arrives once; the half-written message never.
            #expect(received[0]?.sorted() == Array(0..<before), "round \(round): victim's messages")
            #expect(received[1]?.sorted() == Array(0..<Self.survivorCount), "round \(round): survivor's messages")
            #expect(TestNames.leftovers(p).isEmpty)
        }
        let sorted = repairTimes.sorted()
        if let slowest = sorted.last {
            print("CAPIFaultTests \(proto): claimed slot abandoned after a median \(sorted[sorted.count / 2]) s, at most \(slowest) s (sweep \(Self.sweep) s)")
        }
    }

    @Test(
        "a writer killed holding a claim just before SIGTERM: shmd's last sweep abandons the slot, so the closing readers drain what came after it",
        arguments: ["fast", "classic", "fanout"])
    func killedJustBeforeStop(kind: String) throws {
        let program = try LibShmKit.testProgram("shmkit_crash")
        let channel = kind == "fanout" ? Self.channel("fast") + "\ndelivery = \"fanout\"" : Self.channel(kind)
        // A sweep interval far longer than the test: only the sweep at shutdown can repair.
        let daemon = try TestDaemon(channels: channel, daemonExtra: "sweep-interval = 3600")
        let reader = try daemon.startClient("shm-reader", ["crash"])
        // Attached first: a fan-out reader receives only what is written after it joined.
        #expect(
            waitUntil(seconds: 20) {
                ((try? ChannelSnapshot(channel: "crash", prefix: daemon.prefix))?.clients.map(\.process.pid) ?? []).contains(reader.pid)
            }, "\(reader.stderr)")
        let victim = try ChildProcess(program, ["victim", daemon.prefix, "crash", "0", "3", "7"])
        #expect(waitUntil(seconds: 20) { victim.stdout.contains("claimed 3\n") || !victim.isRunning }, "\(victim.stderr)")
        // Two messages committed behind the claimed slot.
        #expect(try daemon.client("shm-writer", ["crash", "--message", "after-1", "--message", "after-2", "--timeout", "5"]).status == 0)
        #expect(waitUntil(seconds: 10) { reader.stdout.split(separator: "\n").count == 3 }, "\(reader.stdout) \(reader.stderr)")
        victim.signal(SIGKILL)
        #expect(victim.waitForExit(seconds: 5) == 128 + SIGKILL)

        #expect(daemon.stop() == 0)
        #expect(daemon.logs("client died: writer pid \(victim.pid) of channel crash exited without detaching; abandoned 1 slot(s) it was writing"))
        #expect(reader.waitForExit(seconds: 10) == 0, "\(reader.stderr)")
        let lines = reader.stdout.split(separator: "\n")
        #expect(
            lines.count == 5 && lines.prefix(3).allSatisfy { Self.parse($0)?.writer == 0 } && lines.suffix(2) == ["after-1", "after-2"], "\(reader.stdout)")
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    // A send on a writer that holds a claim, or a receive on a reader that holds a borrow, is
    // refused: the client's entry in the table records one range of tickets, and the second
    // operation would overwrite it, so that dying then would leave the claim or the borrow
    // unrepaired (found by these tests; ShmKit refuses both since a29fc6c).

    @Test("a send during a claim is refused (64); killed then, the writer's claimed slot is still abandoned")
    func sendDuringAClaim() throws {
        let program = try LibShmKit.testProgram("shmkit_crash")
        let daemon = try TestDaemon(channels: Self.channel("fast"), daemonExtra: "sweep-interval = \(Self.sweep)")
        let victim = try ChildProcess(program, ["victim-send", daemon.prefix, "crash", "0", "3", "1"])
        #expect(waitUntil(seconds: 20) { victim.stdout.contains("claimed 3\n") || !victim.isRunning }, "\(victim.stderr)")
        #expect(victim.stdout.hasPrefix("send 64 10 invalid use of channel 'crash': a slot is claimed: commit or abandon it first\n"), "\(victim.stdout)")
        victim.signal(SIGKILL)
        #expect(victim.waitForExit(seconds: 5) == 128 + SIGKILL)
        #expect(daemon.logs("client died: writer pid \(victim.pid) of channel crash exited without detaching; abandoned 1 slot(s) it was writing"))
        #expect(try ChannelSnapshot(channel: "crash", prefix: daemon.prefix).counters[.abandoned] == 1)
        // The ring goes on: the three messages before the claim, then one sent after the repair.
        #expect(try daemon.client("shm-writer", ["crash", "--message", "after", "--timeout", "5"]).status == 0)
        let reader = try daemon.client("shm-reader", ["crash", "--count", "4", "--timeout", "5"])
        #expect(reader.status == 0, "\(reader)")
        let lines = reader.stdout.split(separator: "\n")
        #expect(lines.count == 4 && lines.prefix(3).allSatisfy { Self.parse($0)?.writer == 0 } && lines.last == "after", "\(reader)")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("a receive during a borrow is refused (64); killed then, the reader's borrowed message is still redelivered")
    func receiveDuringABorrow() throws {
        let program = try LibShmKit.testProgram("shmkit_crash")
        let daemon = try TestDaemon(channels: Self.channel("fast"), daemonExtra: "sweep-interval = \(Self.sweep)")
        #expect(try daemon.client("shm-writer", ["crash", "--message", "m1", "--message", "m2", "--message", "m3"]).status == 0)
        let victim = try ChildProcess(program, ["reader-receive", daemon.prefix, "crash"])
        #expect(waitUntil(seconds: 20) { victim.stdout.contains("holding m1\n") || !victim.isRunning }, "\(victim.stderr)")
        #expect(victim.stdout.hasPrefix("receive 64 10 invalid use of channel 'crash': a message is borrowed: release it first\n"), "\(victim.stdout)")
        victim.signal(SIGKILL)
        #expect(victim.waitForExit(seconds: 5) == 128 + SIGKILL)
        #expect(daemon.logs("client died: reader pid \(victim.pid) of channel crash exited without detaching"))
        #expect(waitUntil(seconds: 5) { (try? ChannelSnapshot(channel: "crash", prefix: daemon.prefix))?.counters[.redelivered] == 1 })
        // m1 was written again at the back of the queue.
        let reader = try daemon.client("shm-reader", ["crash", "--count", "3", "--timeout", "5"])
        #expect(reader.status == 0 && reader.stdout == "m2\nm3\nm1\n", "\(reader)")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
