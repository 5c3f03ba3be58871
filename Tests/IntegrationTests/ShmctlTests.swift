import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// `shmctl` against live daemons whose clients' work each test controls: what `list` and
/// `status` say (and their JSON, checked against the committed schema), what is reported stuck,
/// and what `gc` removes and leaves alone.
@Suite("shmctl: list, status, stuck slots and gc against live daemons")
struct ShmctlTests {
    static let schema = PackageRoot.path + "/Sources/ShmInspect/channel-report.schema.json"

    static func shmctl(_ arguments: [String]) throws -> Finished {
        try run(Executables.path("shmctl"), arguments, seconds: 30)
    }

    /// `text` parsed as JSON, after checking it against the schema with python3's jsonschema.
    static func validated(_ text: String) throws -> Any {
        let path = NSTemporaryDirectory() + "shmctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let check = try run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
                schema, path,
            ])
        guard check.status == 0 else { throw TestFailure("the JSON does not match \(schema): \(check.stderr)\n\(text)") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test("list and status (text and JSON) show the counts the test made, the clients it attached, and what each holds")
    func listAndStatus() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "ops"
                slots = 8
                slot-size = 64
                """)
        defer { _ = daemon.stop() }
        #expect(try daemon.client("shm-writer", ["ops"] + (1...5).flatMap { ["--message", "m\($0)"] }).status == 0)
        #expect(try daemon.client("shm-reader", ["ops", "--count", "2"]).stdout == "m1\nm2\n")
        // Attached from now on: a writer waiting on its standard input, and a C reader that
        // borrows one message (m3, ticket 2) and holds it.
        let writer = try daemon.startClient("shm-writer", ["ops"], stdin: true)
        defer { writer.terminate() }
        let program = try LibShmKit.testProgram("shmkit_crash")
        let reader = try ChildProcess(program, ["reader-receive", daemon.prefix, "ops"])
        defer { reader.terminate() }
        #expect(waitUntil(seconds: 10) { reader.stdout.contains("holding m3") }, "\(reader.stderr)")
        #expect(waitUntil(seconds: 10) { ((try? ChannelSnapshot(channel: "ops", prefix: daemon.prefix))?.clients.count ?? 0) == 2 })

        let listed = try Self.shmctl(["list", "--prefix", daemon.prefix, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let channels = try #require(try Self.validated(listed.stdout) as? [[String: Any]])
        #expect(channels.count == 1)
        let channel = try #require(channels.first)
        #expect(channel["name"] as? String == "ops" && channel["prefix"] as? String == daemon.prefix)
        #expect(channel["slots"] as? Int == 8 && channel["slot_size"] as? Int == 64)
        #expect(channel["queued"] as? Int == 2 && channel["fill"] as? Double == 0.25)
        #expect(channel["writers"] as? Int == 1 && channel["readers"] as? Int == 1)
        let counters = try #require(channel["counters"] as? [String: Any])
        #expect(counters["written"] as? Int == 5 && counters["read"] as? Int == 3 && counters["abandoned"] as? Int == 0)
        let owner = try #require(channel["daemon"] as? [String: Any])
        #expect(owner["pid"] as? Int == Int(daemon.child.pid) && owner["process"] as? String == "alive" && owner["generation"] as? Int == 1)

        let status = try Self.shmctl(["status", "ops", "--prefix", daemon.prefix, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try Self.validated(status.stdout) as? [String: Any])
        let clients = try #require(report["clients"] as? [[String: Any]])
        let byPid = Dictionary(uniqueKeysWithValues: clients.compactMap { client in (client["pid"] as? Int).map { ($0, client) } })
        let writing = try #require(byPid[Int(writer.pid)], "\(clients)")
        #expect(writing["role"] as? String == "writer" && writing["command"] as? String == "shm-writer" && writing["process"] as? String == "alive")
        #expect(writing["holding"] == nil)
        let reading = try #require(byPid[Int(reader.pid)], "\(clients)")
        #expect(reading["role"] as? String == "reader" && reading["command"] as? String == "shmkit_crash")
        let holding = try #require(reading["holding"] as? [String: Any])
        #expect(holding["ticket"] as? Int == 2 && holding["slot"] as? Int == 2 && holding["count"] as? Int == 1)

        let text = try Self.shmctl(["status", "ops", "--prefix", daemon.prefix])
        #expect(text.stdout.contains("channel ops (prefix \(daemon.prefix)): ring, fast, 8 slots × 64 B, open"), "\(text.stdout)")
        #expect(text.stdout.contains("5 written, 3 read"), "\(text.stdout)")
        #expect(text.stdout.contains("\(reader.pid)  reader  shmkit_crash  alive    slot 2 (ticket 2)"), "\(text.stdout)")
        let table = try Self.shmctl(["list", "--prefix", daemon.prefix])
        #expect(table.stdout.contains("\(daemon.prefix).ops  ring/fast  8×64 B"), "\(table.stdout)")

        let missing = try Self.shmctl(["status", "nosuch", "--prefix", daemon.prefix])
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("channel 'nosuch' does not exist"), "\(missing.stderr)")
    }

    @Test("a fan-out channel: status shows its policy, how far behind each reader is and what a lapped reader lost")
    func fanoutReaders() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "feed"
                slots = 8
                slot-size = 64
                delivery = "fanout"
                slow-reader = "drop"
                """)
        defer { _ = daemon.stop() }
        let lapped = try daemon.startClient("shm-reader", ["feed"])
        defer { lapped.terminate() }
        let behind = try daemon.startClient("shm-reader", ["feed"])
        defer { behind.terminate() }
        #expect(waitUntil(seconds: 10) { ((try? ChannelSnapshot(channel: "feed", prefix: daemon.prefix))?.clients.count ?? 0) == 2 })
        lapped.signal(SIGSTOP)
        behind.signal(SIGSTOP)
        #expect(try daemon.client("shm-writer", ["feed"] + (1...20).flatMap { ["--message", "m\($0)"] }).status == 0)
        // Continued, the first finds itself lapped: it reads the 8 still in the ring, 12 lost.
        lapped.signal(SIGCONT)
        #expect(waitUntil(seconds: 10) { lapped.stdoutLines.count == 8 }, "\(lapped.stdout) \(lapped.stderr)")
        #expect(lapped.stderr.contains("lost 12 messages of channel 'feed' before message 1"), "\(lapped.stderr)")

        let status = try Self.shmctl(["status", "feed", "--prefix", daemon.prefix, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try Self.validated(status.stdout) as? [String: Any])
        #expect(report["delivery"] as? String == "fanout" && report["slow_reader"] as? String == "drop")
        #expect((report["counters"] as? [String: Any])?["lost"] as? Int == 12)
        // The slowest reader has read nothing the ring still holds: 8 queued, a full ring.
        #expect(report["queued"] as? Int == 8)
        let clients = try #require(report["clients"] as? [[String: Any]])
        let positions = Dictionary(
            uniqueKeysWithValues: clients.compactMap { client in
                (client["pid"] as? Int).map { ($0, client["fanout"] as? [String: Any] ?? [:]) }
            })
        #expect(positions[Int(lapped.pid)]?["lost"] as? Int == 12 && positions[Int(lapped.pid)]?["behind"] as? Int == 0, "\(clients)")
        #expect(positions[Int(behind.pid)]?["lost"] as? Int == 0 && positions[Int(behind.pid)]?["behind"] as? Int == 20, "\(clients)")

        let text = try Self.shmctl(["status", "feed", "--prefix", daemon.prefix])
        #expect(
            text.stdout.contains("delivery:  fanout, slow-reader = drop: every reader gets every message; writers never wait; 12 messages lost"),
            "\(text.stdout)")
        #expect(text.stdout.contains("BEHIND  LOST"), "\(text.stdout)")
        let table = try Self.shmctl(["list", "--prefix", daemon.prefix])
        #expect(table.stdout.contains("\(daemon.prefix).feed  ring/fast/fanout  8×64 B"), "\(table.stdout)")
        behind.signal(SIGCONT)
    }

    @Test("a reader stopped while it holds a message, with a writer blocked behind it: status names it, shmd warns once, and says once when it is released")
    func stuckReader() throws {
        let seen = Locked<[String]>([])
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "jam"
                slots = 4
                slot-size = 64
                stuck-after = 1
                """,
            daemonExtra: "sweep-interval = 0.2",
            onNotify: { line in seen.withLock { $0.append(line) } })
        let program = try LibShmKit.testProgram("shmkit_crash")
        let reader = try ChildProcess(program, ["reader-stop", daemon.prefix, "jam"])
        defer { reader.terminate() }
        // Ten messages into four slots: the writer blocks when it comes round to the held one.
        let writer = try daemon.startClient("shm-writer", ["jam"] + (0..<10).flatMap { ["--message", "m\($0)"] })
        defer { writer.terminate() }
        #expect(waitUntil(seconds: 10) { reader.stdout.contains("holding m0") }, "\(reader.stderr)")
        #expect(waitUntil(seconds: 10) { ProcessStat(pid: reader.pid)?.state == "T" }, "the reader did not stop")

        var report: [String: Any] = [:]
        #expect(
            waitUntil(seconds: 10) {
                guard let status = try? Self.shmctl(["status", "jam", "--prefix", daemon.prefix, "--json"]),
                    let parsed = try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
                else { return false }
                report = parsed
                return !(parsed["stuck"] as? [Any] ?? []).isEmpty
            }, "never reported stuck")
        let stuck = try #require((report["stuck"] as? [[String: Any]])?.first)
        #expect(stuck["pid"] as? Int == Int(reader.pid) && stuck["process"] as? String == "stopped" && stuck["slot"] as? Int == 0)
        #expect((stuck["held_seconds"] as? Double ?? 0) >= 1)
        #expect(writer.isRunning, "the writer should be blocked behind the held slot")
        let text = try Self.shmctl(["status", "jam", "--prefix", daemon.prefix])
        #expect(text.stdout.contains("reader pid \(reader.pid) (stopped) has held slot 0 for"), "\(text.stdout)")
        #expect(text.stdout.contains("STUCK"), "\(text.stdout)")
        #expect(try Self.shmctl(["list", "--prefix", daemon.prefix]).stdout.contains("STUCK jam: reader pid \(reader.pid) (stopped)"))

        let warning = "channel jam: reader pid \(reader.pid) (stopped) has held slot 0 for"
        #expect(daemon.logs(warning))
        #expect(daemon.logs("writers are blocked"), "\(daemon.child.stderr)")
        #expect(seen.withLock { $0.contains { $0.contains("STATUS=") && $0.contains("stuck: jam reader pid \(reader.pid) (stopped) slot 0") } })

        reader.signal(SIGCONT)
        #expect(writer.waitForExit(seconds: 20) == 0, "\(writer.stderr)")
        let released = "channel jam: reader pid \(reader.pid) no longer holds slot 0"
        #expect(daemon.logs(released), "\(daemon.child.stderr)")
        #expect(waitUntil(seconds: 5) { (try? Self.shmctl(["status", "jam", "--prefix", daemon.prefix]))?.stdout.contains("stuck:     nothing") == true })
        // Once each, however many sweeps saw it.
        let log = daemon.child.stderr
        #expect(log.components(separatedBy: warning).count == 2, "\(log)")
        #expect(log.components(separatedBy: released).count == 2, "\(log)")
        #expect(log.contains("event=stuck") && log.contains("stuck=held") && log.contains("stuck=released"), "\(log)")
        // The reader took every message, the held one first again, and ends with the stream
        // (its output is buffered until then).
        #expect(daemon.stop() == 0)
        #expect(reader.waitForExit(seconds: 10) == 0, "\(reader.stderr)")
        #expect(reader.stdout == "holding m0\n" + (0..<10).map { "m\($0)\n" }.joined())
    }

    @Test(
        "gc removes the objects a SIGKILLed shmd left, seed layout included, and leaves a live shmd's channels and files without the magic; --dry-run removes nothing"
    )
    func gc() throws {
        let channels = """
            [[channel]]
            name = "ring"
            slots = 4
            slot-size = 64

            [[channel]]
            name = "old"
            layout = "seed"
            segment = "/@P_seg"
            sem-empty = "/@P_empty"
            sem-full = "/@P_full"
            """
        let live = try TestDaemon(channels: channels)
        defer { _ = live.stop() }
        let dead = try TestDaemon(channels: channels)
        dead.child.signal(SIGKILL)
        #expect(dead.child.waitForExit(seconds: 10) != nil)
        let left = TestNames.leftovers(dead.prefix)
        #expect(left.count == 7, "\(left)")
        // Files of the dead daemon's prefix that are not shmd's: text, and a right-sized page of zeros.
        let foreign = "/dev/shm/\(dead.prefix).notes"
        let noMagic = "/dev/shm/\(dead.prefix).ring2"
        func objects() -> [String] { TestNames.leftovers(dead.prefix).filter { !foreign.hasSuffix("/" + $0) && !noMagic.hasSuffix("/" + $0) } }
        try "not a channel\n".write(toFile: foreign, atomically: false, encoding: .utf8)
        try Data(count: 8192).write(to: URL(fileURLWithPath: noMagic))
        defer {
            unlink(foreign)
            unlink(noMagic)
        }

        let dry = try Self.shmctl(["gc", "--prefix", dead.prefix, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would remove /dev/shm/\(dead.prefix).ring"), "\(dry.stdout)")
        #expect(dry.stdout.contains("would remove /dev/shm/\(dead.prefix)_seg"), "\(dry.stdout)")
        #expect(dry.stdout.contains("would remove 7 object(s) of 2 stale channel(s)"), "\(dry.stdout)")
        #expect(objects() == left)

        let kept = try Self.shmctl(["gc", "--prefix", live.prefix])
        #expect(kept.status == 0 && kept.stdout.contains("removed 0 object(s) of 0 stale channel(s); left 2 live channel(s) alone"), "\(kept)")
        #expect(TestNames.leftovers(live.prefix).count == 7)

        let removed = try Self.shmctl(["gc", "--prefix", dead.prefix])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("its shmd (pid \(dead.child.pid)) is gone"), "\(removed.stdout)")
        for object in left {
            #expect(removed.stdout.contains("removed /dev/shm/\(object)"), "\(object): \(removed.stdout)")
        }
        #expect(objects().isEmpty, "\(objects())")
        #expect(FileManager.default.fileExists(atPath: foreign) && FileManager.default.fileExists(atPath: noMagic))
        // The live daemon's channels still work.
        #expect(try live.client("shm-writer", ["ring", "--message", "still here"]).status == 0)
        #expect(try live.client("shm-reader", ["ring", "--count", "1"]).stdout == "still here\n")
    }
}
