import Foundation
import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

/// What `ClientSignals`' handler relies on, without sending a signal (which would end the test
/// process): an attachment is seen as inside an operation exactly while it is in one, and the
/// handler frees an entry only between operations and when it holds nothing.
@Suite("attachment registry: what a termination signal's handler may free")
struct AttachmentRegistryTests {
    typealias Status = AttachmentRegistry.Status

    @Test(
        "an operation marks its attachment busy until it ends, on the owner's thread and on another",
        arguments: [ChannelProtocol.fast, .classic])
    func busyWhileOperating(proto: ChannelProtocol) throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: proto))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let attached = try AttachedChannel(names: ChannelNames(prefix: scratch.prefix, channel: "c"), role: .reader, waitSeconds: nil)
        let tracked = try #require(attached.tracked)
        #expect(tracked.status.load(ordering: .relaxed) == Status.idle.rawValue)
        #expect(!AttachmentRegistry.anyBusy(ownedBy: AttachmentRegistry.currentThread))

        // Inside a writer's fill, the writer is busy, the reader (also this thread's) is not.
        try writer.write { slot in
            #expect(AttachmentRegistry.anyBusy(ownedBy: AttachmentRegistry.currentThread))
            #expect(tracked.status.load(ordering: .relaxed) == Status.idle.rawValue)
            slot.storeBytes(of: 7, as: UInt8.self)
            return 1
        }
        #expect(!AttachmentRegistry.anyBusy(ownedBy: AttachmentRegistry.currentThread))

        // Another thread's operation: busy by compare-and-swap, idle again after.
        let other = Locked<[Int]>([])
        #expect(
            runOnThreads(
                [
                    {
                        tracked.beginOperation()
                        other.value.append(tracked.status.load(ordering: .relaxed))
                        tracked.endOperation()
                        other.value.append(tracked.status.load(ordering: .relaxed))
                    }
                ], seconds: 10))
        #expect(other.value == [Status.busy.rawValue, Status.idle.rawValue])
    }

    @Test("between operations the entry is freed, unless it records a held ticket or a sleep")
    func detachOnlyIdle() throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .fast))
        let attached = try AttachedChannel(names: ChannelNames(prefix: scratch.prefix, channel: "c"), role: .reader, waitSeconds: nil)
        let tracked = try #require(attached.tracked)
        let entry = attached.entry
        let table = scratch.hosted.clientTable
        // A handler's take is for good (the process ends); the test gives the slot back each time.
        func giveBack() { tracked.status.store(Status.idle.rawValue, ordering: .relaxed) }

        tracked.beginOperation()
        tracked.detachIfIdle()
        #expect(tracked.status.load(ordering: .relaxed) == Status.busy.rawValue)
        #expect(table.records.count == 1)
        tracked.endOperation()

        entry.hold(3, count: 1)
        tracked.detachIfIdle()
        #expect(table.records.count == 1, "a held ticket stays for shmd's repair")
        giveBack()
        entry.release()

        entry.waiting.store(1, ordering: .relaxed)
        tracked.detachIfIdle()
        #expect(table.records.count == 1, "a recorded sleep stays for shmd, which takes its count back")
        giveBack()
        entry.waiting.store(0, ordering: .relaxed)

        tracked.detachIfIdle()
        #expect(table.records.isEmpty)
        #expect(tracked.status.load(ordering: .relaxed) == Status.detaching.rawValue)
        giveBack()
    }
}
