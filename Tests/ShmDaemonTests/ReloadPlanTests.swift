import Foundation
import ShmHost
import ShmKit
import Testing

@testable import ShmDaemon

@Suite("reload: what changes, what stays, what is refused")
struct ReloadPlanTests {
    static func ring(_ name: String, slots: Int = 64, slotSize: Int = 1024, mode: mode_t = 0o660) -> ChannelSpec {
        ChannelSpec(
            name: name, layout: .ring(slots: slots, slotSize: slotSize, protocol: .classic),
            permissions: ObjectPermissions(mode: mode))
    }

    @Test("added, removed and unchanged channels, by name")
    func addRemoveKeep() {
        let plan = ReloadPlan.make(
            running: [Self.ring("a"), Self.ring("b")], prefix: "shmd",
            new: DaemonConfig(channels: [Self.ring("b"), Self.ring("c")]))
        #expect(plan.added == [Self.ring("c")])
        #expect(plan.removed == ["a"])
        #expect(plan.unchanged == ["b"])
        #expect(plan.refused.isEmpty && plan.permissionChanges.isEmpty)
        #expect(plan.isComplete)
        #expect(plan.summary == "1 added (c), 1 removed (a), 1 unchanged, 0 refused")
    }

    @Test("a new geometry of a live channel is refused with the way out; the rest still applies")
    func geometryRefused() {
        let plan = ReloadPlan.make(
            running: [Self.ring("a"), Self.ring("b")], prefix: "shmd",
            new: DaemonConfig(channels: [Self.ring("a", slots: 8), Self.ring("c")]))
        #expect(plan.refused.map(\.channel) == ["a"])
        #expect(plan.refused[0].reason.contains("channel 'a' is live as a ring of 64 slots × 1024 bytes"))
        #expect(plan.refused[0].reason.contains("asks for a ring of 8 slots × 1024 bytes"))
        #expect(plan.refused[0].reason.contains("systemctl restart shmd"))
        #expect(plan.added == [Self.ring("c")])
        #expect(plan.removed == ["b"])
        #expect(!plan.isComplete)
    }

    @Test("a queue that becomes a fan-out channel is refused, naming both deliveries")
    func deliveryRefused() {
        var fanout = Self.ring("a")
        fanout.layout = .ring(slots: 64, slotSize: 1024, protocol: .fast)
        var queue = fanout
        fanout.delivery = .fanout(.drop)
        let plan = ReloadPlan.make(running: [queue], prefix: "shmd", new: DaemonConfig(channels: [fanout]))
        #expect(plan.refused.map(\.channel) == ["a"])
        #expect(plan.refused[0].reason.contains("asks for fanout (slow-reader = drop) delivery, the live channel has queue"), "\(plan.refused)")
        queue.delivery = .fanout(.block)
        #expect(ReloadPlan.make(running: [queue], prefix: "shmd", new: DaemonConfig(channels: [fanout])).refused.count == 1)
    }

    @Test("a ring that becomes a seed channel is refused")
    func layoutRefused() {
        let seed = ChannelSpec(name: "a", layout: .seed(segment: "/s", semaphoreEmpty: "/e", semaphoreFull: "/f"))
        let plan = ReloadPlan.make(running: [Self.ring("a")], prefix: "shmd", new: DaemonConfig(channels: [seed]))
        #expect(plan.refused.map(\.channel) == ["a"])
        #expect(plan.added.isEmpty && plan.removed.isEmpty)
    }

    @Test("a mode-only change keeps the channel and changes its permissions")
    func permissionsApplied() {
        let plan = ReloadPlan.make(
            running: [Self.ring("a")], prefix: "shmd",
            new: DaemonConfig(channels: [Self.ring("a", mode: 0o640)]))
        #expect(plan.permissionChanges == [Self.ring("a", mode: 0o640)])
        #expect(plan.refused.isEmpty && plan.added.isEmpty && plan.removed.isEmpty && plan.unchanged.isEmpty)
    }

    @Test("a new stuck-after is a change in place, as a new mode is")
    func stuckAfterInPlace() {
        var changed = Self.ring("a")
        changed.stuckAfterSeconds = 30
        let plan = ReloadPlan.make(running: [Self.ring("a")], prefix: "shmd", new: DaemonConfig(channels: [changed]))
        #expect(plan.permissionChanges == [changed])
        #expect(plan.refused.isEmpty && plan.added.isEmpty && plan.removed.isEmpty && plan.unchanged.isEmpty)
    }

    @Test("a mode change together with a new geometry is refused, not half applied")
    func mixedChangeRefused() {
        let plan = ReloadPlan.make(
            running: [Self.ring("a")], prefix: "shmd",
            new: DaemonConfig(channels: [Self.ring("a", slots: 8, mode: 0o640)]))
        #expect(plan.refused.map(\.channel) == ["a"])
        #expect(plan.permissionChanges.isEmpty)
    }

    @Test("a new prefix is refused as a whole: nothing is planned")
    func prefixRefused() {
        let plan = ReloadPlan.make(
            running: [Self.ring("a")], prefix: "shmd",
            new: DaemonConfig(prefix: "other", channels: [Self.ring("b")]))
        #expect(plan.refused.count == 1)
        #expect(plan.refused[0].reason.contains("prefix changed from 'shmd' to 'other'"))
        #expect(plan.added.isEmpty && plan.removed.isEmpty)
    }

    @Test("the reload record survives a round trip through its file")
    func recordRoundTrip() throws {
        let directory = NSTemporaryDirectory() + "shmd-record-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(ReloadRecord.read(from: directory) == nil)
        let record = ReloadRecord(count: 3, outcome: .partial, message: "reloaded x: 1 added (c)\nsecond line")
        try record.write(to: directory)
        #expect(ReloadRecord.read(from: directory) == ReloadRecord(count: 3, outcome: .partial, message: "reloaded x: 1 added (c) second line"))
    }

    @Test("--reload without a record directory sends SIGHUP and returns; a bad pid is a usage error")
    func reloadRequestEdges() {
        #expect(ReloadRequest.run(pid: 0, directory: nil).exitCode == .usage)
        // SIGHUP to a process that ignores it: ourselves, with the signal ignored for the test.
        let previous = signal(SIGHUP, SIG_IGN)
        defer { signal(SIGHUP, previous) }
        #expect(ReloadRequest.run(pid: getpid(), directory: nil).exitCode == .ok)
    }
}
