import Foundation
import Glibc
import TestSupport
import Testing

/// Issue 15's first acceptance test: a channel carried from one host to another through
/// JetStream, with nothing lost, nothing duplicated, nothing changed.
@Suite("shm-bridge carries a channel between two hosts through NATS JetStream")
struct BridgeTwoHostTests {
    /// SHMD_BRIDGE_MESSAGES overrides the count, to try a change quickly or to soak.
    static let count = ProcessInfo.processInfo.environment["SHMD_BRIDGE_MESSAGES"].flatMap { Int($0) } ?? 1_000_000

    @Test("1,000,000 messages of random length, host A → out-bridge → JetStream → in-bridge → host B: byte-exact, in order, once")
    func millionMessages() throws {
        let rig = try BridgeRig(count: Self.count, twoHosts: true, subnet: 1)
        try rig.startWriter()
        let rate = rig.finish(seconds: 600)
        let out = rig.outBridge!.status
        let into = rig.inBridge!.status
        #expect(out["forwarded"] == "\(Self.count)", "out-bridge: \(out)")
        #expect(into["forwarded"] == "\(Self.count)", "in-bridge: \(into)")
        #expect(into["duplicates-dropped"] == "0" && into["dead-lettered"] == "0", "in-bridge: \(into)")
        print("bridge: \(Self.count) messages (\(rig.frames.totalBytes) bytes of frames) host A → host B at \(Int(rate)) messages/s")
    }
}
