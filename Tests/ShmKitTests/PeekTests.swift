import Foundation
import Glibc
import Testing

@testable import ShmHost
@testable import ShmKit

@Suite("peek and take: reading without consuming until the message is safe elsewhere")
struct PeekTests {
    static func text(_ reader: ChannelReader, _ ticket: UInt64) -> String? {
        reader.peekedMessage(ticket).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("peek lends the messages at the cursor and leaves them there; take consumes them")
    func peekThenTake() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        for word in ["one", "two", "three"] { try writer.send(Array(word.utf8)) }
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let first = try #require(try reader.peek(maximum: 10, timeoutSeconds: 1))
        #expect(first == .init(first: 0, count: 3, generation: 1))
        #expect((0..<3).map { Self.text(reader, $0) } == ["one", "two", "three"])
        // Not consumed: the same window again, and the header's read cursor has not moved.
        #expect(try reader.peek(maximum: 2, timeoutSeconds: 1) == .init(first: 0, count: 2, generation: 1))
        #expect(scratch.hosted.header.readCursor.load(ordering: .relaxed) == 0)
        try reader.take(first)
        #expect(scratch.hosted.header.readCursor.load(ordering: .relaxed) == 3)
        #expect(throws: ChannelError.self) { try reader.peek(maximum: 1, timeoutSeconds: 0.05) }
        try writer.send(Array("four".utf8))
        let next = try #require(try reader.peek(maximum: 10, timeoutSeconds: 1))
        #expect(next.first == 3 && next.count == 1 && Self.text(reader, 3) == "four")
    }

    @Test("a peeked window holds its slots against writers until it is taken")
    func windowHoldsWriters() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        for number in 0..<4 { try writer.send(Array("m\(number)".utf8)) }
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let window = try #require(try reader.peek(maximum: 4, timeoutSeconds: 1))
        #expect(window.count == 4)
        #expect(throws: ChannelError.self) { try writer.send(Array("late".utf8), timeout: .milliseconds(100)) }
        #expect(Self.text(reader, 0) == "m0") // not overwritten
        try reader.take(window)
        try writer.send(Array("late".utf8), timeout: .seconds(5))
    }

    @Test("a reader that dies after peeking leaves the messages at the front, under the same tickets, and shmd redelivers nothing")
    func deathBeforeTake() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        for word in ["a", "b", "c"] { try writer.send(Array(word.utf8)) }
        // The dead peeker: registered as a reader, nothing recorded as held (peek holds nothing).
        let dead = try ClientRepairTests.deadProcess()
        _ = try #require(scratch.hosted.clientTable.register(dead, role: .reader))
        let repairs = scratch.hosted.repairDeadClients()
        #expect(repairs.map(\.redelivered) == [0])
        try writer.send(Array("d".utf8))
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let window = try #require(try reader.peek(maximum: 10, timeoutSeconds: 1))
        #expect(window.first == 0 && window.count == 4)
        #expect((0..<4).map { Self.text(reader, $0) } == ["a", "b", "c", "d"])
    }

    @Test("peek refuses a second living reader, and channels other than fast queue ones")
    func refusals() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["30"]
        try other.run()
        defer {
            // SIGKILL: a test runner may leave SIGTERM blocked in the children it starts.
            kill(other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        let living = try #require(ProcessIdentity.startTime(of: other.processIdentifier).map { ProcessIdentity(pid: other.processIdentifier, startTime: $0) })
        let index = try #require(scratch.hosted.clientTable.register(living, role: .reader))
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect {
            try reader.peek(maximum: 1, timeoutSeconds: 0.05)
        } throws: { error in
            "\(error)".contains("process \(other.processIdentifier) reads it too")
        }
        scratch.hosted.clientTable.unregister(index, process: living)

        let classic = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .classic))
        let classicReader = try ChannelReader(channel: "c", prefix: classic.prefix)
        #expect {
            try classicReader.peek(maximum: 1, timeoutSeconds: 0.05)
        } throws: { error in
            "\(error)".contains("protocol = \"fast\"")
        }
    }

    @Test("take throws, and takes nothing, when another reader moved the cursor")
    func takeDetectsAnotherReader() throws {
        let scratch = try ScratchChannel(.ring(slots: 8, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        for word in ["a", "b"] { try writer.send(Array(word.utf8)) }
        let peeker = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let window = try #require(try peeker.peek(maximum: 2, timeoutSeconds: 1))
        let thief = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(try thief.receive(timeout: .seconds(1)).map { String(decoding: $0, as: UTF8.self) } == "a")
        #expect(throws: ChannelError.self) { try peeker.take(window) }
        #expect(scratch.hosted.header.readCursor.load(ordering: .relaxed) == 1)
    }
}
