import Foundation
import Glibc
import TestSupport
import Testing

/// Issue 15's bad input: what a bridge does when the server, the credentials, the stream or a
/// message is not what it needs. Each test has a host (network and /dev/shm) of its own.
@Suite("shm-bridge with bad input: clear errors, retries with backoff, never a stall", .serialized)
struct BridgeBadInputTests {
    static let source = """
        [[channel]]
        name = "source"
        slots = 16
        slot-size = 256
        """

    /// One out-bridge `name` over channel `source` of `prefix`, with `extra` keys.
    static func config(_ name: String, prefix: String, server: String, folder: BridgeTestFolder, extra: String = "") throws -> String {
        try folder.write(
            "bridge.toml",
            """
            [[bridge]]
            name = "\(name)"
            direction = "out"
            channel = "source"
            prefix = "\(prefix)"
            subject = "shmd.bad.\(getpid())"
            stream = "BAD_\(getpid())"
            servers = ["\(server)"]
            state-directory = "\(folder.path)"
            status-directory = "\(folder.path)"
            \(extra)
            """)
    }

    @Test("an unreachable server: one clear error naming it and the fix, retries with growing pauses, one line when it answers")
    func unreachableServer() throws {
        let host = try NetworkHost("host-u")
        let folder = try BridgeTestFolder()
        let prefix = TestNames.prefix("bu")
        let daemon = try TestDaemon(channels: Self.source, prefix: prefix, launcher: host.launcher)
        // A "server" that takes each connection and closes it at once, printing when: nothing a
        // client can log in to, and every attempt of the bridge is seen and timed.
        let script = """
            import socket, sys, time
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(16)
            print("port", s.getsockname()[1], flush=True)
            while True:
                c, _ = s.accept()
                print("attempt", time.monotonic(), flush=True)
                c.close()
            """
        let command = host.launcher + ["/usr/bin/python3", "-c", script]
        let listener = try ChildProcess(command[0], Array(command.dropFirst()))
        defer { listener.terminate() }
        #expect(waitUntil(seconds: 10) { listener.stdout.hasPrefix("port ") && listener.stdout.contains("\n") }, "\(listener.stderr)")
        let port = Int(listener.stdoutLines.first?.split(separator: " ").last ?? "") ?? 0
        let server = "nats://127.0.0.1:\(port)"
        let bridge = try BridgeProcess(
            "lonely", on: host, config: try Self.config("lonely", prefix: prefix, server: server, folder: folder),
            statusDirectory: folder.path, ready: false)
        let attempts: () -> [Double] = { listener.stdoutLines.filter { $0.hasPrefix("attempt ") }.compactMap { Double($0.dropFirst(8)) } }
        #expect(waitUntil(seconds: 30) { attempts().count >= 5 }, "attempts: \(attempts()); log: \(bridge.logs)")
        // The pause before retry k is at least 100 ms × 2^(k-1) (NatsBackoff): a lower bound, so a
        // loaded machine cannot make it fail.
        let times = attempts()
        for k in 1..<min(times.count, 5) {
            let pause = times[k] - times[k - 1]
            #expect(pause >= 0.1 * Double(1 << (k - 1)) * 0.95, "pause before retry \(k): \(pause) s; all: \(times)")
        }
        let log = bridge.logs
        #expect(log.components(separatedBy: "cannot reach NATS at \(server)").count == 2, "logged once, not once per retry: \(log)")
        #expect(log.contains("retrying with backoff (check the servers key and the network)"), "\(log)")
        #expect(bridge.child?.isRunning == true, "still retrying: \(log)")

        // Once a server answers there, one line says so, and the bridge is ready.
        listener.terminate()
        let nats = try NatsServer(on: host, address: "127.0.0.1", port: port)
        #expect(bridge.notify?.waitFor("READY=1", seconds: 30) == true, "\(bridge.logs)")
        // Its stderr is read by another thread: the line may come in just after READY=1.
        #expect(waitUntil(seconds: 10) { bridge.logs.components(separatedBy: "connected to NATS at \(nats.url())").count == 2 }, "\(bridge.logs)")
        #expect(bridge.stop() == 0, "\(bridge.logs)")
        #expect(daemon.stop() == 0)
        #expect(host.shmFiles.isEmpty, "\(host.shmFiles)")
    }

    @Test("wrong credentials: exit 77, naming the server, the bridge and the credentials file, never the password")
    func wrongCredentials() throws {
        let host = try NetworkHost("host-c")
        let folder = try BridgeTestFolder()
        let prefix = TestNames.prefix("bc")
        let daemon = try TestDaemon(channels: Self.source, prefix: prefix, launcher: host.launcher)
        let nats = try NatsServer(on: host, address: "127.0.0.1", arguments: ["--user", "bridge", "--pass", "the-right-one"])
        let credentials = try folder.write("bridge.creds.toml", "user = \"bridge\"\npassword = \"a-wrong-one\"\n")
        let config = try Self.config("locked-out", prefix: prefix, server: nats.url(), folder: folder, extra: "credentials = \"\(credentials)\"")
        let bridge = try BridgeProcess("locked-out", on: host, config: config, statusDirectory: folder.path, ready: false)
        #expect(bridge.child?.waitForExit(seconds: 30) == 77, "\(bridge.logs)")
        let log = bridge.logs
        #expect(log.contains("NATS at \(nats.url()) refused bridge 'locked-out'"), "\(log)")
        #expect(log.contains("check the credentials file \(credentials)"), "\(log)")
        #expect(!log.contains("a-wrong-one"), "the password is never logged: \(log)")

        // The same bridge with the right password gets in.
        try folder.write("bridge.creds.toml", "user = \"bridge\"\npassword = \"the-right-one\"\n")
        try bridge.start()
        #expect(bridge.stop() == 0, "\(bridge.logs)")
        #expect(daemon.stop() == 0)
        #expect(host.shmFiles.isEmpty, "\(host.shmFiles)")
    }

    @Test("a stream that does not exist: created when create-stream is true, else a clear error (exit 69)", arguments: ["out", "in"])
    func missingStream(direction: String) throws {
        let host = try NetworkHost("host-s")
        let folder = try BridgeTestFolder()
        let prefix = TestNames.prefix("bs")
        let daemon = try TestDaemon(channels: Self.source, prefix: prefix, launcher: host.launcher)
        let nats = try NatsServer(on: host, address: "127.0.0.1")
        let stream = "BAD_\(getpid())"
        var config = try Self.config("streamless", prefix: prefix, server: nats.url(), folder: folder, extra: "create-stream = false")
        if direction == "in" {
            config = try folder.write(
                "bridge.toml", try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "direction = \"out\"", with: "direction = \"in\""))
        }
        let refused = try BridgeProcess("streamless", on: host, config: config, statusDirectory: folder.path, ready: false)
        #expect(refused.child?.waitForExit(seconds: 30) == 69, "\(refused.logs)")
        #expect(refused.logs.contains("stream '\(stream)'"), "\(refused.logs)")
        #expect(refused.logs.contains("create it, or set create-stream = true in \(config)"), "\(refused.logs)")

        try folder.write(
            "bridge.toml", try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "create-stream = false", with: "create-stream = true"))
        let created = try BridgeProcess("streamless", on: host, config: config, statusDirectory: folder.path)
        #expect(waitUntil(seconds: 10) { created.logs.contains("created stream '\(stream)' over subject 'shmd.bad.\(getpid())'") }, "\(created.logs)")
        #expect(created.stop() == 0, "\(created.logs)")
        #expect(daemon.stop() == 0)
        #expect(host.shmFiles.isEmpty, "\(host.shmFiles)")
    }

    @Test("messages larger than the destination's slot: counted, sent to the dead-letter subject, and the rest flows on")
    func messageTooLarge() throws {
        let dead = "shmd.dead.\(getpid())"
        let rig = try BridgeRig(
            count: 20_000, maximumSize: 256, twoHosts: false, subnet: 15, slotSizeB: 128, bridgeExtra: "dead-letter = \"\(dead)\"",
            moreChannelsB: """
                [[channel]]
                name = "dead"
                slots = 1024
                slot-size = 256
                """,
            moreBridges: """
                [[bridge]]
                name = "e2e-dead"
                direction = "in"
                channel = "dead"
                prefix = "@PB"
                subject = "\(dead)"
                stream = "DEAD_\(getpid())"
                servers = ["@URL"]
                state-directory = "@DIR"
                status-directory = "@DIR"
                """,
            expecting: { frames in (0..<frames.count).filter { frames.length($0) <= 128 } })
        // What the dead-letter subject gets: the others, in order, through a stream over it and a
        // bridge of its own into a channel large enough.
        let large = (0..<rig.frames.count).filter { rig.frames.length($0) > 128 }
        let deadBridge = try rig.bridge("e2e-dead", on: rig.hostB)
        let deadOutput = rig.folder.file("dead-letters")
        guard FileManager.default.createFile(atPath: deadOutput, contents: nil) else { throw TestFailure("cannot create \(deadOutput)") }
        let deadCheck = try FrameCheck(sent: rig.frames, output: deadOutput, expecting: large)
        let deadReader = try rig.shell(
            on: rig.hostB, "exec \(Executables.path("shm-reader")) dead --binary --prefix \(rig.prefixB) > \(deadOutput)")
        defer { deadReader.terminate() }
        try rig.startWriter()
        #expect(deadCheck.waitForAll(seconds: 300), "dead letters: \(deadCheck.summary)")
        #expect(deadBridge.stop() == 0, "\(deadBridge.logs)")
        deadReader.signal(SIGTERM)
        _ = deadReader.waitForExit(seconds: 10)
        deadCheck.poll()
        #expect(deadCheck.failure == nil && deadCheck.duplicates == 0, "dead letters: \(deadCheck.summary)")
        rig.finish(seconds: 300)
        let into = rig.inBridge!.status
        #expect(into["dead-lettered"] == "\(large.count)", "in-bridge: \(into)")
        #expect(into["forwarded"] == "\(rig.frames.count - large.count)", "in-bridge: \(into)")
        #expect(rig.inBridge!.logs.contains("does not fit channel 'sink' (slots of 128 bytes): sent to '\(dead)'"), "\(rig.inBridge!.logs.prefix(2000))")
        // Logged once per 10 s, not once per message: the stream took well under a minute.
        let lines = rig.inBridge!.logs.components(separatedBy: "does not fit channel 'sink'").count - 1
        #expect(large.count > 100 && (1...6).contains(lines), "\(large.count) dead letters, \(lines) lines: \(rig.inBridge!.logs.suffix(2000))")
    }
}
