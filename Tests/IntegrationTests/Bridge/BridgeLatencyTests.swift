import Foundation
import TestSupport
import Testing

/// A light load: one message at a time must cross the bridge in about a JetStream round trip
/// plus the test's own overhead, never in a pull request's lifetime (the in-bridge's fetches
/// ask for a whole batch, and a lone message must not wait for the rest of it).
@Suite("shm-bridge at a light load: a lone message is not held for a batch")
struct BridgeLatencyTests {
    @Test("20 messages sent one at a time each cross A → JetStream → B in a median under 50 ms")
    func loneMessages() throws {
        let count = 20
        let rig = try BridgeRig(count: count, twoHosts: false, subnet: 17)
        var crossings: [Double] = []
        for message in 0..<count {
            let sent = Date()
            try rig.startWriter(message..<(message + 1))
            #expect(rig.waitForProgress(message + 1, seconds: 30), "\(rig.check.summary)")
            crossings.append(Date().timeIntervalSince(sent) * 1000)
        }
        let median = crossings.sorted()[count / 2]
        // The crossing includes starting the writer's shell pipeline and the 10 ms polling of
        // B's output: about 21 ms here when idle. A batch's wait would be up to its fetch's
        // 200 ms timeout, about 100 ms at the median.
        #expect(median < 50, "crossings in ms: \(crossings.map { String(format: "%.1f", $0) })")
        print("lone messages across the bridge: median \(String(format: "%.1f", median)) ms of \(crossings.map { String(format: "%.0f", $0) })")
        rig.finish(seconds: 60)
    }
}
