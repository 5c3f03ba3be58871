import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

/// The single-message fast path of `ChannelWriter.writeBatch` and `ChannelReader.receiveBatch`
/// (one message, no timeout, a fast channel): everything it must do that the general path does,
/// on one thread, where no step waits (each call finds its slot ready, or the channel closed).
@Suite("fast protocol: the single-message fast path")
struct FastRingFastPathTests {
    struct Refused: Error {}

    @Test("a fill that throws or overflows publishes an abandoned slot the reader skips; a body that throws frees its slot")
    func abandonedAndThrown() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast))
        let header = scratch.hosted.header
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)

        #expect(throws: Refused.self) { try writer.write { _ in throw Refused() } }
        #expect(throws: ChannelError.messageTooLarge(channel: "c", size: 17, limit: 16)) { try writer.write { _ in 17 } }
        #expect(header.counter(.abandoned) == 2)
        try writer.send([1, 2, 3])
        #expect(try reader.receive() == [1, 2, 3]) // past the two abandoned slots
        #expect(header.counter(.read) == 3)

        try writer.send([4])
        #expect(throws: Refused.self) { _ = try reader.receiveBatch(maximum: 1) { _ in throw Refused() } }
        #expect(header.counter(.read) == 4)
        // Every slot is free again (the thrown-on one too): four messages fit without waiting.
        for value in UInt8(5)...8 { try writer.send([value], timeout: .zero) }
        #expect(throws: ChannelError.timedOut(channel: "c", operation: "send (channel full)", seconds: 0)) {
            try writer.send([9], timeout: .zero)
        }
        for value in UInt8(5)...8 { #expect(try reader.receive() == [value]) }
        // Nothing held is left recorded in the client table.
        let table = scratch.hosted.clientTable
        #expect(scratch.hosted.clients.count == 2)
        #expect(scratch.hosted.clients.allSatisfy { table.entry($0.slot).held == nil })
    }

    @Test("after the close a writer is refused and a reader still gets what was written, then the end")
    func afterClose() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        try writer.send([7])
        scratch.hosted.close()
        #expect(throws: ChannelError.closed(channel: "c")) { try writer.send([8]) }
        #expect(try reader.receive() == [7])
        #expect(try reader.receive() == nil)
        #expect(scratch.hosted.header.counter(.written) == 1)
    }
}
