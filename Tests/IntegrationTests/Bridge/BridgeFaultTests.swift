import Foundation
import Glibc
import TestSupport
import Testing

/// Issue 15's faults, each in the middle of a stream of 100,000 messages, and the stream counted
/// in full afterwards. Both "hosts" share a namespace here (two shmd, prefixes of their own):
/// what is under test is the bridge's recovery, and the two-host test carries the network.
@Suite("shm-bridge faults mid-stream: nothing lost, duplicates only as counted", .serialized)
struct BridgeFaultTests {
    /// SHMD_SOAK=1: ten times the messages, and a bridge killed ten times rather than three.
    static let soak = ProcessInfo.processInfo.environment["SHMD_SOAK"] == "1"
    static let count = soak ? 1_000_000 : 100_000
    static let kills = soak ? 10 : 3

    /// Where, in messages arrived at B, kill `k` of `kills` comes: spread over the stream's middle.
    static func killPoint(_ k: Int) -> Int { count / 5 + k * (count * 3 / 5) / kills }

    @Test("SIGKILL the out-bridge, restart it, three times: nothing lost, and no duplicate reaches B (Nats-Msg-Id)")
    func outBridgeKilled() throws {
        let rig = try BridgeRig(count: Self.count, twoHosts: false, subnet: 11)
        try rig.startWriter()
        let out = rig.outBridge!
        for k in 0..<Self.kills {
            #expect(rig.waitForProgress(Self.killPoint(k)), "\(rig.check.summary)")
            out.kill()
            try out.start()
        }
        // READY=1 comes before its log line, which stderr's reader may not have caught yet.
        #expect(
            waitUntil(seconds: 10) { out.logs.components(separatedBy: "ready: forwarding channel 'source'").count == Self.kills + 2 }, "\(out.logs)")
        rig.finish(seconds: 300)
        // Every republish of the killed bridge's window was dropped by JetStream: the stream, and so
        // the in-bridge that was never restarted, saw each message once.
        let into = rig.inBridge!.status
        #expect(into["forwarded"] == "\(Self.count)" && into["duplicates-dropped"] == "0", "in-bridge: \(into)")
    }

    @Test("SIGKILL the in-bridge, restart it, three times: nothing lost; duplicates only from the crash window, and counted")
    func inBridgeKilled() throws {
        let rig = try BridgeRig(count: Self.count, twoHosts: false, subnet: 12)
        try rig.startWriter()
        let into = rig.inBridge!
        for k in 0..<Self.kills {
            #expect(rig.waitForProgress(Self.killPoint(k)), "\(rig.check.summary)")
            into.kill()
            try into.start()
        }
        // A duplicate reaches B only if the bridge died between a write and recording its
        // sequence (SequenceFile): at most the one message it was writing, per kill. B's check
        // counts each one.
        rig.finish(seconds: 300, allowedDuplicates: Self.kills)
        let status = into.status
        print("in-bridge killed \(Self.kills) times mid-stream: \(rig.check.duplicates) duplicates at B; last bridge: \(status)")
    }

    @Test("nats-server stopped for 5 s mid-stream, then started again: both bridges reconnect, nothing lost")
    func serverStopped() throws {
        let rig = try BridgeRig(count: Self.count, twoHosts: false, subnet: 13)
        try rig.startWriter()
        #expect(rig.waitForProgress(Self.count / 3), "\(rig.check.summary)")
        rig.nats.stop()
        for bridge in [rig.outBridge!, rig.inBridge!] {
            #expect(waitUntil(seconds: 15) { bridge.logs.contains("lost the connection to NATS") }, "\(bridge.name): \(bridge.logs)")
        }
        // The outage itself, not a wait for something: the server stays away for 5 s.
        Thread.sleep(forTimeInterval: 5)
        try rig.nats.start()
        for bridge in [rig.outBridge!, rig.inBridge!] {
            #expect(waitUntil(seconds: 30) { bridge.logs.contains("reconnected to NATS at") }, "\(bridge.name): \(bridge.logs)")
        }
        // Anything but the stream arriving whole, in order, with both bridges still running
        // fails: a message missing or out of order at B (the out-bridge's windows land in
        // order, OutBridge.publish, `Nats-Expected-Last-Msg-Id`, which the messages libnats
        // buffered while reconnecting had broken in about one run of four), or a crash of the
        // in-bridge (libnats 3.4.1's fetch overflow after the reconnect, in about one run of two
        // before PullSubscription kept pull requests out of the reconnect buffer).
        rig.finish(seconds: 300, allowedDuplicates: 1)
        for bridge in [rig.outBridge!, rig.inBridge!] {
            #expect(bridge.status["reconnects"].flatMap { UInt64($0) } ?? 0 >= 1, "\(bridge.name): \(bridge.status)")
            #expect(bridge.logs.components(separatedBy: "lost the connection to NATS").count == 2, "one line per change: \(bridge.logs)")
        }
    }

    @Test("shmd on host A restarted between two streams: the new channel's messages are not taken for the old one's duplicates")
    func sourceChannelRecreated() throws {
        let count = 20_000
        let rig = try BridgeRig(count: count, twoHosts: false, subnet: 16)
        try rig.startWriter(0..<count / 2)
        #expect(rig.waitForProgress(count / 2), "\(rig.check.summary)")
        #expect(rig.writer?.waitForExit(seconds: 10) == 0, "first writer: \(rig.writer?.stderr ?? "")")
        try rig.restartDaemonA()
        // Within JetStream's duplicate window: the same channel name, generation and tickets.
        try rig.startWriter(count / 2..<count)
        rig.finish(seconds: 120)
    }

    @Test("SIGKILL host B's shmd mid-stream, restart it as systemd would: it adopts the channel, nothing lost")
    func daemonKilled() throws {
        let rig = try BridgeRig(count: Self.count, twoHosts: false, subnet: 14)
        try rig.startWriter()
        #expect(rig.waitForProgress(Self.count / 3), "\(rig.check.summary)")
        try rig.restartDaemonB()
        rig.finish(seconds: 300)
        let into = rig.inBridge!.status
        #expect(into["forwarded"] == "\(Self.count)", "in-bridge: \(into)")
    }
}
