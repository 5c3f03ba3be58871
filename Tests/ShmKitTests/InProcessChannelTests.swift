import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

/// A channel created in this process, removed at the end, under a prefix of its own.
/// `@unchecked Sendable`: both properties are constants, and what the stress threads call on
/// `hosted` from several threads at once (`close`: one atomic store and two `sem_post`s, and
/// reads of `header`'s atomics) is safe from any thread.
final class ScratchChannel: @unchecked Sendable {
    let prefix = "u\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
    let hosted: HostedChannel

    init(
        _ layout: ChannelSpec.Layout, name: String = "c", spinNanoseconds: UInt64 = Layout.defaultSpinNanoseconds, delivery: Delivery = .queue
    ) throws {
        hosted = try HostedChannel.create(
            spec: ChannelSpec(name: name, layout: layout, spinNanoseconds: spinNanoseconds, delivery: delivery),
            prefix: prefix, daemon: .current, generation: 1
        ).0
    }

    deinit {
        hosted.close()
        hosted.unlink()
    }
}

@Suite("one channel, several threads, one process")
struct InProcessChannelTests {
    @Test(
        "4 writers × 4 readers: every message once, each writer's messages in order",
        arguments: [1, 8, 64], ChannelProtocol.allCases)
    func multipleWritersAndReaders(slots: Int, proto: ChannelProtocol) throws {
        let scratch = try ScratchChannel(.ring(slots: slots, slotSize: 16, protocol: proto))
        let writers = 4
        let readers = 4
        let perWriter = 5_000
        let received = Locked<[[UInt32]]>(Array(repeating: [], count: writers))
        let failures = Locked<[String]>([])
        var bodies: [@Sendable () -> Void] = []
        for reader in 0..<readers {
            bodies.append {
                do {
                    let channel = try ChannelReader(channel: "c", prefix: scratch.prefix)
                    var mine: [(UInt32, UInt32)] = []
                    // Each reader takes an equal share; the total is exact.
                    for _ in 0..<(writers * perWriter / readers) {
                        guard let message = try channel.receive(timeout: .seconds(30)) else { throw TestFailure("closed early") }
                        let pair = message.withUnsafeBytes { ($0.load(as: UInt32.self), $0.load(fromByteOffset: 4, as: UInt32.self)) }
                        mine.append(pair)
                    }
                    // Per writer, one reader's share must itself be in order.
                    for writer in 0..<writers {
                        let sequence = mine.filter { $0.0 == writer }.map(\.1)
                        if sequence != sequence.sorted() { failures.value.append("reader \(reader) saw writer \(writer) out of order") }
                    }
                    received.withLock { all in for (writer, seq) in mine { all[Int(writer)].append(seq) } }
                } catch {
                    failures.value.append("reader: \(error)")
                }
            }
        }
        for writer in 0..<writers {
            bodies.append {
                do {
                    let channel = try ChannelWriter(channel: "c", prefix: scratch.prefix)
                    for sequence in 0..<UInt32(perWriter) {
                        var bytes = [UInt8](repeating: 0, count: 8)
                        bytes.withUnsafeMutableBytes {
                            $0.storeBytes(of: UInt32(writer), as: UInt32.self)
                            $0.storeBytes(of: sequence, toByteOffset: 4, as: UInt32.self)
                        }
                        try channel.send(bytes, timeout: .seconds(30))
                    }
                } catch {
                    failures.value.append("writer: \(error)")
                }
            }
        }
        #expect(runOnThreads(bodies, seconds: 120))
        #expect(failures.value.isEmpty, "\(failures.value)")
        for writer in 0..<writers {
            let sorted = received.value[writer].sorted()
            #expect(
                sorted.count == perWriter && sorted.first == 0 && sorted.last == UInt32(perWriter - 1) && Set(sorted).count == perWriter,
                "writer \(writer): \(sorted.count) messages received, \(Set(sorted).count) distinct, of \(perWriter)")
        }
        #expect(scratch.hosted.header.counter(.written) == UInt64(writers * perWriter))
        #expect(scratch.hosted.header.counter(.read) == UInt64(writers * perWriter))
    }

    @Test(
        "a header field changed under a client is named in the refusal",
        arguments: [
            (Layout.Offset.version, "layout version"), (Layout.Offset.wordSize, "word size"),
            (Layout.Offset.slotStride, "slot stride"), (Layout.Offset.totalSize, "total size"),
            (Layout.Offset.protocol, "protocol"), (Layout.Offset.slotCount, "slot count"),
        ])
    func headerFieldMismatch(offset: Int, field: String) throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 32, protocol: .classic))
        scratch.hosted.header.base.storeBytes(of: 0xFFFF_FFF0, toByteOffset: offset, as: UInt32.self)
        #expect {
            _ = try ChannelReader(channel: "c", prefix: scratch.prefix)
        } throws: { error in
            guard case let .headerMismatch(_, found, _, _) = error as? ChannelError else { return false }
            return found == field
        }
    }

    @Test("the client table records attached clients and forgets them when they detach")
    func clientTable() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 32, protocol: .classic))
        var writer: ChannelWriter? = try ChannelWriter(channel: "c", prefix: scratch.prefix)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        let roles = scratch.hosted.clients.map(\.role.description).sorted()
        #expect(roles == ["reader", "writer"])
        #expect(scratch.hosted.clients.allSatisfy { $0.process == .current })
        writer = nil
        #expect(scratch.hosted.clients.map(\.role) == [.reader])
        withExtendedLifetime((writer, reader)) {}
    }
}
