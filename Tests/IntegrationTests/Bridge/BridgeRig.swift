import Foundation
import Glibc
import TestSupport
import Testing

/// The bridge's whole path, started for one test: host A (a shmd with channel `source`, a
/// writer sending `NumberedFrames`, the out-bridge) → a JetStream server → host B (a shmd with
/// channel `sink`, the in-bridge, a reader whose output a `FrameCheck` follows).
///
/// With `twoHosts` the hosts are two network and mount namespaces joined by a veth pair, the
/// server on A and B reaching it over the link; otherwise everything runs in one namespace, with
/// two shmd (prefixes of their own) standing for the two hosts, which is enough for the fault
/// tests and quicker.
final class BridgeRig {
    let folder: BridgeTestFolder
    let hostA: NetworkHost
    let hostB: NetworkHost
    let nats: NatsServer
    let prefixA = TestNames.prefix("ba")
    let prefixB = TestNames.prefix("bb")
    let channelA: String
    let channelB: String
    private(set) var daemonA: TestDaemon?
    private(set) var daemonB: TestDaemon?
    let frames: NumberedFrames
    let check: FrameCheck
    let configPath: String
    let subject: String
    let stream: String
    private(set) var reader: ChildProcess?
    private(set) var writer: ChildProcess?
    var outBridge: BridgeProcess?
    var inBridge: BridgeProcess?
    private(set) var writerStarted = Date()

    /// - Parameters:
    ///   - count: how many messages the writer sends, of 8 to `maximumSize` bytes.
    ///   - subnet: the veth pair's /30 (`10.77.SUBNET.0`), unique per test.
    ///   - slotSizeB: the sink's slot size (smaller than `maximumSize`: messages to dead-letter).
    ///   - bridgeExtra: more keys for both `[[bridge]]` tables.
    ///   - moreChannelsB, moreBridges: more `[[channel]]` tables for host B's shmd, and more
    ///     `[[bridge]]` tables (`@PB` stands for B's prefix, `@URL` for the server, `@DIR` for the
    ///     test's folder).
    ///   - expecting: which of the messages the reader on B should get (all by default).
    ///   - natsArguments: more nats-server options (`--tls`).
    init(
        count: Int, maximumSize: Int = 256, twoHosts: Bool, subnet: Int, slotSizeB: Int? = nil, bridgeExtra: String = "",
        moreChannelsB: String = "", moreBridges: String = "", expecting: ((NumberedFrames) -> [Int])? = nil,
        natsArguments: [String] = []
    ) throws {
        folder = try BridgeTestFolder()
        hostA = try NetworkHost("host-a")
        if twoHosts {
            hostB = try NetworkHost("host-b")
            _ = try NetworkHost.link(hostA, hostB, subnet: subnet)
        } else {
            hostB = hostA
        }
        nats = try NatsServer(on: hostA, arguments: natsArguments)
        let serverForB = twoHosts ? nats.url("10.77.\(subnet).1") : nats.url()
        channelA = """
            [[channel]]
            name = "source"
            slots = 1024
            slot-size = \(maximumSize)
            """
        channelB = """
            [[channel]]
            name = "sink"
            slots = 1024
            slot-size = \(slotSizeB ?? maximumSize)

            \(moreChannelsB)
            """
        daemonA = try TestDaemon(channels: channelA, prefix: prefixA, launcher: hostA.launcher)
        daemonB = try TestDaemon(channels: channelB, prefix: prefixB, launcher: hostB.launcher)
        subject = "shmd.e2e.\(getpid()).\(subnet)"
        stream = "E2E_\(getpid())_\(subnet)"
        configPath = try folder.write(
            "bridge.toml",
            """
            [[bridge]]
            name = "e2e-out"
            direction = "out"
            channel = "source"
            prefix = "\(prefixA)"
            subject = "\(subject)"
            stream = "\(stream)"
            servers = ["\(nats.url())"]
            state-directory = "\(folder.path)"
            status-directory = "\(folder.path)"
            \(bridgeExtra)

            [[bridge]]
            name = "e2e-in"
            direction = "in"
            channel = "sink"
            prefix = "\(prefixB)"
            subject = "\(subject)"
            stream = "\(stream)"
            servers = ["\(serverForB)"]
            ack-wait = 2
            state-directory = "\(folder.path)"
            status-directory = "\(folder.path)"
            \(bridgeExtra)

            \(moreBridges.replacingOccurrences(of: "@PB", with: prefixB).replacingOccurrences(of: "@URL", with: serverForB)
                .replacingOccurrences(of: "@DIR", with: folder.path))
            """)
        frames = try NumberedFrames(path: folder.file("frames"), count: count, maximumSize: maximumSize)
        let output = folder.file("received")
        guard FileManager.default.createFile(atPath: output, contents: nil) else { throw TestFailure("cannot create \(output)") }
        check = try FrameCheck(sent: frames, output: output, expecting: expecting?(frames))
        reader = try shell(on: hostB, "exec \(Executables.path("shm-reader")) sink --binary --prefix \(prefixB) > \(output)")
        outBridge = try bridge("e2e-out", on: hostA)
        inBridge = try bridge("e2e-in", on: hostB)
    }

    deinit {
        writer?.terminate()
        reader?.terminate()
        outBridge?.child?.terminate()
        inBridge?.child?.terminate()
    }

    /// Starts bridge `name` of the rig's config on `host`.
    func bridge(_ name: String, on host: NetworkHost, ready: Bool = true) throws -> BridgeProcess {
        try BridgeProcess(name, on: host, config: configPath, statusDirectory: folder.path, ready: ready)
    }

    /// Starts the writer: it sends the frames of messages `messages` (all by default), then exits.
    func startWriter(_ messages: Range<Int>? = nil) throws {
        let write = "\(Executables.path("shm-writer")) source --binary --prefix \(prefixA)"
        if writer == nil { writerStarted = Date() }
        if let messages {
            let start = frames.offsets[messages.lowerBound]
            let length = frames.offsets[messages.upperBound] - start
            writer = try shell(on: hostA, "tail -c +\(start + 1) \(frames.path) | head -c \(length) | \(write)")
        } else {
            writer = try shell(on: hostA, "exec \(write) < \(frames.path)")
        }
    }

    /// Waits until the check has seen at least `messages` messages in order (or a failure).
    func waitForProgress(_ messages: Int, seconds: Double = 60) -> Bool {
        waitUntil(seconds: seconds, interval: 10_000) {
            check.poll()
            return check.next >= messages || check.failure != nil
        }
    }

    /// Stops host A's shmd (SIGTERM: it removes its channels) and starts it again, as
    /// `systemctl restart shmd` does: channel `source` is a new one, its tickets from 0 again.
    func restartDaemonA() throws {
        #expect(daemonA!.stop() == 0)
        daemonA = nil
        daemonA = try TestDaemon(channels: channelA, prefix: prefixA, launcher: hostA.launcher)
    }

    /// SIGKILLs host B's shmd and starts another with the same config, as systemd's
    /// `Restart=on-failure` would: it adopts the channel, with what it held.
    func restartDaemonB() throws {
        let pid = daemonB!.child.pid
        daemonB!.child.signal(SIGKILL)
        #expect(daemonB!.child.waitForExit(seconds: 10) == 128 + SIGKILL)
        daemonB = nil
        daemonB = try TestDaemon(channels: channelB, prefix: prefixB, launcher: hostB.launcher)
        #expect(daemonB!.logs("adopted from shmd pid \(pid)"), "\(daemonB!.child.stderr)")
    }

    /// Checks that every message arrived (within `seconds`), then stops everything in order and
    /// checks that each part ended cleanly and left nothing behind.
    ///
    /// - Returns: messages a second from the writer's start to the last message's arrival.
    @discardableResult
    func finish(seconds: Double, allowedDuplicates: Int = 0) -> Double {
        let bridges = [outBridge, inBridge].compactMap { $0 }
        let arrived = check.waitForAll(seconds: seconds) { bridges.contains { $0.child?.isRunning != true } }
        if !arrived, let crashed = bridges.first(where: { $0.child?.isRunning != true }) {
            let status = crashed.child?.waitForExit(seconds: 5)
            Issue.record(
                "shm-bridge \(crashed.name) ended (status \(status.map(String.init) ?? "?")) before the stream did: \(crashed.child?.stderr.suffix(3000) ?? "")"
            )
        }
        let elapsed = Date().timeIntervalSince(writerStarted)
        let trouble = bridges.map { bridge in
            "\(bridge.name): " + bridge.logs.split(separator: "\n").filter { $0.hasPrefix("<3>") || $0.hasPrefix("<4>") }.joined(separator: "\n")
        }
        #expect(arrived, "\(check.summary); the bridges' warnings and errors:\n\(trouble.joined(separator: "\n"))")
        #expect(check.duplicates <= allowedDuplicates, "\(check.summary)")
        #expect(writer?.waitForExit(seconds: 10) == 0, "writer: \(writer?.stderr ?? "")")
        for bridge in [outBridge, inBridge].compactMap({ $0 }) {
            let logged = bridge.logs.count
            #expect(bridge.stop() == 0, "shm-bridge \(bridge.name) did not stop cleanly on SIGTERM; log:\n\(bridge.logs)")
            #expect(bridge.status["state"] == "stopped", "\(bridge.name): \(bridge.status)")
            let atStop = String(bridge.logs.dropFirst(logged))
            #expect(!atStop.contains("lost the connection"), "its own close at the stop is no loss: \(atStop)")
        }
        reader?.signal(SIGTERM)
        #expect(reader?.waitForExit(seconds: 10) == 128 + SIGTERM, "reader: \(reader?.stderr ?? "")")
        // Nothing more than checked: no message came after the last expected one.
        check.poll()
        #expect(check.failure == nil && check.duplicates <= allowedDuplicates, "\(check.summary)")
        #expect(daemonA?.stop() == 0)
        #expect(daemonB?.stop() == 0)
        #expect(hostA.shmFiles.isEmpty, "left in host A's /dev/shm: \(hostA.shmFiles)")
        #expect(hostB.shmFiles.isEmpty, "left in host B's /dev/shm: \(hostB.shmFiles)")
        return Double(frames.count) / elapsed
    }

    /// Runs `script` with /bin/sh on `host`, in the background.
    func shell(on host: NetworkHost, _ script: String) throws -> ChildProcess {
        let command = host.launcher + ["/bin/sh", "-c", script]
        return try ChildProcess(command[0], Array(command.dropFirst()))
    }
}
