import Foundation
import Testing

@testable import ShmHost
@testable import ShmKit

/// A classic-protocol unit taken by a client killed mid-operation, fabricated here by taking it
/// from the semaphore directly: the waiters must notice and put it back, and only then.
@Suite("classic protocol: a semaphore unit lost with a killed client is restored")
struct LostUnitTests {
    /// What shmd's sweep does when it finds a client dead: repair it and count it.
    static func reportDeadClient(_ scratch: ScratchChannel, role: ClientRole = .writer) throws {
        let table = scratch.hosted.clientTable
        _ = try #require(table.register(try ClientRepairTests.deadProcess(), role: role))
        #expect(scratch.hosted.repairDeadClients().count == 1)
    }

    static func watch(_ role: ClientRole, _ scratch: ScratchChannel) throws -> LostUnitWatch {
        let attached = try AttachedChannel(names: scratch.hosted.names, role: role, waitSeconds: nil)
        return LostUnitWatch(role, ring: Ring(header: attached.header), attached: attached)
    }

    @Test("a message whose unit of full was lost is delivered once shmd has found the dead client, within two slices")
    func lostFull() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .classic))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        try writer.send([1, 2, 3])
        #expect(scratch.hosted.full.tryWait(), "the writer posted its unit")

        // No client died: nothing was lost as far as anyone can tell, and nothing is restored.
        #expect(throws: ChannelError.self) { try reader.receive(timeout: .milliseconds(700)) }
        #expect(scratch.hosted.header.counter(.restoredUnits) == 0)

        try Self.reportDeadClient(scratch)
        let start = Date()
        #expect(try reader.receive(timeout: .seconds(5)) == [1, 2, 3])
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.2 && waited < 2, "restored after two slices of 0.2 s, took \(waited) s")
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)

        // In step again: the next message needs no repair and no wait.
        try writer.send([4])
        #expect(try reader.receive(timeout: .milliseconds(100)) == [4])
        #expect(scratch.hosted.full.value == 0)
    }

    @Test("a free slot whose unit of empty was lost is written again, even in a one-slot ring")
    func lostEmpty() throws {
        let scratch = try ScratchChannel(.ring(slots: 1, slotSize: 16, protocol: .classic))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(scratch.hosted.empty.tryWait(), "one free slot, one unit")
        try Self.reportDeadClient(scratch, role: .reader)

        try writer.send([9], timeout: .seconds(5))
        #expect(try reader.receive(timeout: .seconds(1)) == [9])
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)
        try writer.send([10], timeout: .milliseconds(100))
        #expect(try reader.receive(timeout: .milliseconds(100)) == [10])
        #expect(scratch.hosted.empty.value == 1)
    }

    @Test("several waiters restore a lost unit once")
    func restoredOnce() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .classic))
        try ChannelWriter(channel: "c", prefix: scratch.prefix).send([7])
        #expect(scratch.hosted.full.tryWait())
        // Two deaths allow two restores; the marker must still allow only one for this ticket.
        try Self.reportDeadClient(scratch)
        try Self.reportDeadClient(scratch)
        var watches = try (0..<3).map { _ in try Self.watch(.reader, scratch) }
        var taken = 0
        for _ in 0..<3 {
            for index in watches.indices {
                try watches[index].afterSlice()
                // A reader takes the unit at once and is about to claim: the value is back at
                // zero while the message still sits at the cursor.
                if scratch.hosted.full.tryWait() { taken += 1 }
            }
        }
        #expect(taken == 1)
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)
    }

    @Test("a reader waiting ahead for a slow writer's message: the next message is not stranded, nothing is posted")
    func slowWriterIsNotALostUnit() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .classic))
        let header = scratch.hosted.header
        try Self.reportDeadClient(scratch) // a death elsewhere: the allowance is there
        // Writer A takes ticket 0 and is still filling it.
        #expect(scratch.hosted.empty.tryWait())
        #expect(header.writeCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        // Writer B publishes ticket 1 and posts; reader R takes that unit and claims ticket 0.
        try ChannelWriter(channel: "c", prefix: scratch.prefix).send([1])
        #expect(scratch.hosted.full.tryWait())
        #expect(header.readCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        // Ticket 1 sits ready at the cursor with no unit: its unit is R's, not lost.
        var watch = try Self.watch(.reader, scratch)
        for _ in 0..<3 { try watch.afterSlice() }
        #expect(scratch.hosted.full.value == 0)
        #expect(header.counter(.restoredUnits) == 0)
    }

    @Test("a writer waiting ahead for a slow reader's slot: the next free slot is not stranded, nothing is posted")
    func slowReaderIsNotALostUnit() throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .classic))
        let header = scratch.hosted.header
        try Self.reportDeadClient(scratch)
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send([0])
        try writer.send([1])
        // Reader R1 claims ticket 0 and is slow with it; reader R2 reads ticket 1 and frees it.
        #expect(scratch.hosted.full.tryWait())
        #expect(header.readCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        #expect(try ChannelReader(channel: "c", prefix: scratch.prefix).receive(timeout: .seconds(1)) == [1])
        // Writer W takes R2's unit and claims ticket 2, whose slot R1 still holds.
        #expect(scratch.hosted.empty.tryWait())
        #expect(header.writeCursor.compareExchange(expected: 2, desired: 3, ordering: .sequentiallyConsistent).exchanged)
        // Ticket 3's slot is free with no unit: its unit is W's, not lost.
        var watch = try Self.watch(.writer, scratch)
        for _ in 0..<3 { try watch.afterSlice() }
        #expect(scratch.hosted.empty.value == 0)
        #expect(header.counter(.restoredUnits) == 0)
    }
}
