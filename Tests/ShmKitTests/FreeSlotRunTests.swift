import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

/// A fast writer's run of slots it saw free (`FreeSlotRun`): claims that skip the look at the
/// slot must still never take a slot that is not free, lose a message or reorder two, whoever
/// else writes and reads between them.
@Suite("fast protocol: the writer's run of free slots")
struct FreeSlotRunTests {
    struct Abandoned: Error {}

    @Test("the run covers the tickets seen free, and none below the first one not yet taken")
    func runBounds() {
        var run = FreeSlotRun()
        #expect(!run.covers(0))
        run.record(from: 5, to: 8)
        #expect(!run.covers(4))
        #expect(run.covers(5) && run.covers(7))
        #expect(!run.covers(8))
        run.taken(before: 7)
        #expect(!run.covers(5) && !run.covers(6)) // taken: a cursor moved back is not covered
        #expect(run.covers(7))
        run.taken(before: 8)
        #expect(!run.covers(7))
    }

    @Test("a descriptor's line holds four descriptors, from the page-aligned start of the array")
    func descriptorsInLine() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let ring = try #require(scratch.hosted.ring)
        #expect((0..<10).map { ring.descriptorsLeftInLine(UInt64($0)) } == [4, 3, 2, 1, 4, 3, 2, 1, 4, 3])
        #expect(Int(bitPattern: ring.descriptor(0)) % Layout.cacheLine == 0)
    }

    @Test("one writer fills the ring through its run and is refused at the full ring, for every size of ring")
    func fillsThenRefused() throws {
        for slots in [1, 2, 3, 4, 5, 8] {
            let scratch = try ScratchChannel(.ring(slots: slots, slotSize: 16, protocol: .fast))
            let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
            let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
            for lap in 0..<3 {
                for value in 0..<slots { try writer.send([UInt8(lap), UInt8(value)], timeout: .zero) }
                #expect(throws: ChannelError.timedOut(channel: "c", operation: "send (channel full)", seconds: 0)) {
                    try writer.send([9], timeout: .zero)
                }
                for value in 0..<slots { #expect(try reader.receive(timeout: .zero) == [UInt8(lap), UInt8(value)]) }
            }
        }
    }

    @Test("a slot freed behind a run that ran into the full ring is found again after a part of a lap")
    func partLap() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        for value in UInt8(0)..<4 { try writer.send([value], timeout: .zero) }
        #expect(try reader.receive(timeout: .zero) == [0])
        #expect(try reader.receive(timeout: .zero) == [1])
        try writer.send([4], timeout: .zero)
        try writer.send([5], timeout: .zero)
        #expect(throws: ChannelError.timedOut(channel: "c", operation: "send (channel full)", seconds: 0)) {
            try writer.send([6], timeout: .zero)
        }
        for value in UInt8(2)...5 { #expect(try reader.receive(timeout: .zero) == [value]) }
    }

    @Test("a second writer taking tickets inside the first one's run leaves the order and every message intact")
    func secondWriterInsideRun() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let first = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let second = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        try first.send([0], timeout: .zero) // looks at slot 0, sees 1 to 3 free
        try second.send([1], timeout: .zero) // takes ticket 1, in the first writer's run
        try second.send([2], timeout: .zero)
        try first.send([3], timeout: .zero) // its run says 1: the exchange fails, it looks at 3
        try first.send([4], timeout: .zero)
        for value in UInt8(0)...4 { #expect(try reader.receive(timeout: .zero) == [value]) }
        #expect(scratch.hosted.header.counter(.written) == 5)
    }

    /// Two writers and a reader on one thread, in an order drawn from a seeded generator, each
    /// step with a zero timeout, against a FIFO of what was sent: a claim that took a slot not
    /// free would overwrite an unread message or be refused wrongly, and the model sees either.
    @Test("random interleavings of two writers and a reader match a FIFO", arguments: [1, 2, 3, 4, 5, 8])
    func randomInterleavings(slots: Int) throws {
        let scratch = try ScratchChannel(.ring(slots: slots, slotSize: 16, protocol: .fast))
        let writers = [
            try ChannelWriter(channel: "c", prefix: scratch.prefix),
            try ChannelWriter(channel: "c", prefix: scratch.prefix),
        ]
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let full = ChannelError.timedOut(channel: "c", operation: "send (channel full)", seconds: 0)
        let empty = ChannelError.timedOut(channel: "c", operation: "receive (channel empty)", seconds: 0)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(slots)
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        // What the ring holds, in ticket order: a message, or nil for a slot a writer abandoned
        // (its fill threw), which the reader skips.
        var model: [UInt16?] = []
        var sent: UInt16 = 0
        for _ in 0..<4000 {
            let draw = next() % 16
            if draw < 10 {
                let writer = writers[Int(draw % 2)]
                let message = [UInt8(sent & 0xFF), UInt8(sent >> 8)]
                let abandon = draw >= 8
                do {
                    if abandon {
                        try writer.write(timeout: .zero) { _ in throw Abandoned() }
                        Issue.record("a write whose fill throws did not throw")
                    } else {
                        try writer.send(message, timeout: .zero)
                        #expect(model.count < slots, "a send into a full ring of \(slots) slots")
                        model.append(sent)
                        sent &+= 1
                    }
                } catch is Abandoned {
                    #expect(model.count < slots, "a claim in a full ring of \(slots) slots")
                    model.append(nil)
                } catch let error as ChannelError {
                    #expect(error == full)
                    #expect(model.count == slots, "refused with \(model.count) of \(slots) slots taken")
                }
            } else {
                while model.first == .some(nil) { model.removeFirst() }
                do {
                    let message = try #require(try reader.receive(timeout: .zero))
                    let expected = try #require(model.first ?? nil, "received \(message) from an empty ring")
                    #expect(message == [UInt8(expected & 0xFF), UInt8(expected >> 8)])
                    model.removeFirst()
                } catch let error as ChannelError {
                    #expect(error == empty)
                    #expect(model.isEmpty, "empty with \(model.count) messages unread")
                }
            }
        }
        #expect(sent > 500)
    }
}
