import Foundation
import Glibc
import Testing

@testable import ShmHost
@testable import ShmKit

@Suite("the daemon repairs what a dead client held")
struct ClientRepairTests {
    /// A process that has exited: its pid is gone, so it counts as dead.
    static func deadProcess() throws -> ProcessIdentity {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return ProcessIdentity(pid: process.processIdentifier, startTime: 1)
    }

    @Test(
        "a writer that died between taking a slot and publishing it: the slot is abandoned, readers go past it",
        arguments: ChannelProtocol.allCases)
    func deadWriter(proto: ChannelProtocol) throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: proto))
        let header = scratch.hosted.header
        let table = scratch.hosted.clientTable
        // The dead writer: registered, took ticket 0 (after its unit of `empty`, in classic), never published.
        let dead = try Self.deadProcess()
        let index = try #require(table.register(dead, role: .writer))
        if proto == .classic { #expect(scratch.hosted.empty.tryWait()) }
        table.entry(index).hold(0, count: 1)
        #expect(header.writeCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)

        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send(Array("after".utf8))
        let repairs = scratch.hosted.repairDeadClients()
        #expect(repairs.map(\.abandoned) == [1])
        #expect(repairs.first?.record.process.pid == dead.pid)
        #expect(scratch.hosted.clients.map(\.role) == [.writer]) // the live one only
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(try reader.receive(timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } == "after")
        #expect(header.counter(.abandoned) == 1)
    }

    @Test(
        "a reader that died holding a message: the message is put back and another reader gets it",
        arguments: ChannelProtocol.allCases)
    func deadReader(proto: ChannelProtocol) throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: proto))
        let header = scratch.hosted.header
        let table = scratch.hosted.clientTable
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send(Array("first".utf8))
        try writer.send(Array("second".utf8))
        // The dead reader: took ticket 0 (after its unit of `full`, in classic), never released it.
        let dead = try Self.deadProcess()
        let index = try #require(table.register(dead, role: .reader))
        if proto == .classic { #expect(scratch.hosted.full.tryWait()) }
        table.entry(index).hold(0, count: 1)
        #expect(header.readCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)

        let repairs = scratch.hosted.repairDeadClients()
        #expect(repairs.map(\.redelivered) == [1])
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let got = try (0..<2).map { _ in try reader.receive(timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } }
        // Put back at the end of the queue: at least once, maybe out of order.
        #expect(got == ["second", "first"])
        #expect(header.counter(.redelivered) == 1)
        // And the ring is whole again: all four slots can be filled.
        for number in 0..<4 { try writer.send(Array("m\(number)".utf8), timeout: .seconds(5)) }
    }

    @Test("a classic reader that died holding a ticket whose message was not yet published: put back once it is")
    func deadReaderAheadOfItsMessage() throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .classic))
        let header = scratch.hosted.header
        let table = scratch.hosted.clientTable
        // A slow writer took ticket 0 (its unit of `empty`) and is still copying.
        #expect(scratch.hosted.empty.tryWait())
        #expect(header.writeCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        // Another writer published ticket 1 and posted its unit of `full`.
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send(Array("second".utf8))
        // The dead reader took that unit and claimed ticket 0, whose message is not there yet.
        let dead = try #require(table.register(try Self.deadProcess(), role: .reader))
        #expect(scratch.hosted.full.tryWait())
        table.entry(dead).hold(0, count: 1)
        #expect(header.readCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)

        #expect(scratch.hosted.repairDeadClients().map(\.redelivered) == [1])
        #expect(header.counter(.pendingRedelivery) == 1)
        // The slow writer publishes and posts, as it would.
        let ring = Ring(header: header)
        ring.payload(0).copyBytes(from: Array("first".utf8))
        ring.publish(0, length: 5)
        try scratch.hosted.full.post()
        // The next sweep puts it back; both messages arrive, and the ring is whole again.
        _ = scratch.hosted.repairDeadClients()
        #expect(header.counter(.pendingRedelivery) == 0)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let got = try (0..<2).map { _ in try reader.receive(timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(got == ["second", "first"])
        for number in 0..<2 { try writer.send(Array("m\(number)".utf8), timeout: .seconds(5)) }
        #expect(header.counter(.restoredUnits) == 0)
    }

    @Test("a classic writer that died holding a ticket whose slot a reader still held: abandoned once it is free")
    func deadWriterAheadOfItsSlot() throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .classic))
        let header = scratch.hosted.header
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        try writer.send(Array("zero".utf8))
        try writer.send(Array("one".utf8))
        // A slow reader holds ticket 0; another reads ticket 1 and frees its slot.
        #expect(scratch.hosted.full.tryWait())
        #expect(header.readCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(try reader.receive(timeout: .seconds(1)).map { String(decoding: $0, as: UTF8.self) } == "one")
        // The dead writer took that unit and claimed ticket 2, whose slot the slow reader holds.
        let dead = try #require(scratch.hosted.clientTable.register(try Self.deadProcess(), role: .writer))
        #expect(scratch.hosted.empty.tryWait())
        scratch.hosted.clientTable.entry(dead).hold(2, count: 1)
        #expect(header.writeCursor.compareExchange(expected: 2, desired: 3, ordering: .sequentiallyConsistent).exchanged)

        #expect(scratch.hosted.repairDeadClients().map(\.abandoned) == [1])
        #expect(header.counter(.pendingRedelivery) == 1)
        // The slow reader finishes: frees its slot and posts, as it would.
        let ring = Ring(header: header)
        ring.free(0)
        try scratch.hosted.empty.post()
        _ = scratch.hosted.repairDeadClients()
        #expect(header.counter(.pendingRedelivery) == 0)
        #expect(header.counter(.abandoned) == 1)
        // Readers go past the abandoned ticket; the ring is whole again.
        try writer.send(Array("three".utf8), timeout: .seconds(5))
        #expect(try reader.receive(timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } == "three")
        try writer.send(Array("four".utf8), timeout: .seconds(5))
        try writer.send(Array("five".utf8), timeout: .seconds(5))
    }

    @Test("a stale record never touches a slot a living client holds")
    func staleRecordIgnored() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast))
        let table = scratch.hosted.clientTable
        // A live writer holds ticket 0 (mid-copy); a dead one recorded the same ticket but lost the race.
        let live = try #require(table.register(.current, role: .writer))
        table.entry(live).hold(0, count: 1)
        #expect(scratch.hosted.header.writeCursor.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged)
        let dead = try #require(table.register(try Self.deadProcess(), role: .writer))
        table.entry(dead).hold(0, count: 1)
        #expect(scratch.hosted.repairDeadClients().map(\.abandoned) == [0])
        #expect(Ring(header: scratch.hosted.header).isFree(0))
    }

    @Test("a seed channel's dead client has its entry freed (a full table would refuse the next client)")
    func deadSeedClientFreed() throws {
        let prefix = "u\(getpid())s\(UInt32.random(in: 0...UInt32.max))"
        let spec = ChannelSpec(
            name: "s", layout: .seed(segment: "/\(prefix)_buf", semaphoreEmpty: "/\(prefix)_e", semaphoreFull: "/\(prefix)_f"),
            clientCapacity: 1)
        let hosted = try HostedChannel.create(spec: spec, prefix: prefix, daemon: .current, generation: 1).0
        defer {
            hosted.close()
            hosted.unlink()
        }
        #expect(hosted.clientTable.register(try Self.deadProcess(), role: .reader) != nil)
        #expect(throws: ChannelError.tooManyClients(channel: "s", limit: 1)) { try ChannelReader(channel: "s", prefix: prefix) }
        #expect(hosted.repairDeadClients().map(\.record.role) == [.reader])
        #expect(hosted.clients.isEmpty)
        _ = try ChannelReader(channel: "s", prefix: prefix)
    }
}
