import Foundation
import Testing
@testable import ShmKit

/// A classic-protocol unit taken by a client killed mid-operation, fabricated here by taking it
/// from the semaphore directly: the waiters must notice and put it back.
@Suite("classic protocol: a semaphore unit lost with a killed client is restored")
struct LostUnitTests {
    @Test("a message whose unit of full was lost is still delivered, within two slices")
    func lostFull() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .classic))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        try writer.send([1, 2, 3])
        #expect(scratch.hosted.full.tryWait(), "the writer posted its unit")

        let start = Date()
        #expect(try reader.receive(timeout: 5) == [1, 2, 3])
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.2 && waited < 2, "restored after two slices of 0.2 s, took \(waited) s")
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)

        // In step again: the next message needs no repair and no wait.
        try writer.send([4])
        #expect(try reader.receive(timeout: 0.1) == [4])
        #expect(scratch.hosted.full.value == 0)
    }

    @Test("a free slot whose unit of empty was lost is still written, even in a one-slot ring")
    func lostEmpty() throws {
        let scratch = try ScratchChannel(.ring(slots: 1, slotSize: 16, protocol: .classic))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(scratch.hosted.empty.tryWait(), "one free slot, one unit")

        try writer.send([9], timeout: 5)
        #expect(try reader.receive(timeout: 1) == [9])
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)
        try writer.send([10], timeout: 0.1)
        #expect(try reader.receive(timeout: 0.1) == [10])
        #expect(scratch.hosted.empty.value == 1)
    }

    @Test("several waiters put a lost unit back once: one delivery, nothing left over")
    func restoredOnce() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .classic))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send([7])
        #expect(scratch.hosted.full.tryWait())
        let delivered = Locked<[[UInt8]]>([])
        let failures = Locked<[String]>([])
        let readers: [@Sendable () -> Void] = (0..<3).map { _ in {
            do {
                let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
                if let message = try reader.receive(timeout: 1.5) { delivered.value.append(message) }
            } catch ChannelError.timedOut {
                // The two that did not get the message.
            } catch {
                failures.value.append("\(error)")
            }
        } }
        #expect(runOnThreads(readers, seconds: 10))
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(delivered.value == [[7]])
        #expect(scratch.hosted.header.counter(.restoredUnits) == 1)
        #expect(scratch.hosted.full.value == 0)
    }
}
