import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

/// The fast protocol's sleep/wake hand-off under fire: tiny rings, short spins and random pauses
/// on both sides make clients sleep and wake constantly. Blocked clients here look at the
/// channel only every 60 s, so a single lost wake-up is a hang that fails the deadline instead
/// of a 200 ms hiccup that the time slice would hide.
@Suite("fast protocol: no lost wake-up", .serialized)
struct WakeUpStressTests {
    static let neverLook: UInt64 = 60_000_000_000

    /// Sleeps a random few microseconds about once every `period` calls.
    struct RandomPauses {
        var generator = SystemRandomNumberGenerator()
        let period: Int
        mutating func maybePause() {
            if Int.random(in: 0..<period, using: &generator) == 0 {
                usleep(UInt32.random(in: 0...60, using: &generator))
            }
        }
    }

    /// `SHMD_STRESS_SCALE` multiplies every count, for a soak run.
    static let scale = UInt64(ProcessInfo.processInfo.environment["SHMD_STRESS_SCALE"] ?? "") ?? 1

    /// With no spin every message is a sleep and a wake-up (about 30 µs each here), so that case
    /// runs fewer messages: it is the one that exercises the hand-off most.
    @Test(
        "millions of messages, one writer, one reader, random pauses: spin 0 µs × 300k, 2 µs × 2M, 50 µs × 2M",
        arguments: [(UInt64(0), 2, UInt64(300_000)), (2_000, 4, 2_000_000), (50_000, 8, 2_000_000)])
    func singleWriterSingleReader(spin: UInt64, slots: Int, messages: UInt64) throws {
        let scratch = try ScratchChannel(.ring(slots: slots, slotSize: 8, protocol: .fast), spinNanoseconds: spin)
        let count = messages * Self.scale
        let failure = Locked<String?>(nil)
        var bodies: [@Sendable () -> Void] = []
        bodies.append {
            do {
                let reader = try ChannelReader(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: Self.neverLook)
                var pauses = RandomPauses(period: 2_000)
                var expected: UInt64 = 0
                while expected < count {
                    // Batches of one half the time: the single-message fast path, the other half the batch path.
                    let seen = try reader.receiveBatch(maximum: Bool.random() ? 1 : 16) { message in
                        let value = message.load(as: UInt64.self)
                        if value != expected && failure.value == nil { failure.value = "expected \(expected), got \(value)" }
                        expected += 1
                    }
                    guard seen != nil else { throw TestFailure("closed early at \(expected)") }
                    pauses.maybePause()
                }
            } catch {
                failure.value = "reader: \(error)"
            }
        }
        bodies.append {
            do {
                let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: Self.neverLook)
                var pauses = RandomPauses(period: 2_000)
                var next: UInt64 = 0
                while next < count {
                    let batch = min(Int.random(in: 1...4), Int(count - next))
                    let base = next
                    next += UInt64(
                        try writer.writeBatch(maximum: batch) { index, slot in
                            slot.storeBytes(of: base + UInt64(index), as: UInt64.self)
                            return 8
                        })
                    pauses.maybePause()
                }
            } catch {
                failure.value = "writer: \(error)"
            }
        }
        #expect(runOnThreads(bodies, seconds: 300), "a client hung: a wake-up was lost")
        #expect(failure.value == nil, "\(failure.value ?? "")")
        #expect(scratch.hosted.header.counter(.read) == count)
    }

    @Test("3 writers × 3 readers × 400,000 messages with random pauses")
    func severalWritersAndReaders() throws {
        let scratch = try ScratchChannel(.ring(slots: 4, slotSize: 16, protocol: .fast), spinNanoseconds: 1_000)
        let writers = 3
        let readers = 3
        let perWriter: UInt64 = 400_000 * Self.scale
        let total = UInt64(writers) * perWriter
        let taken = UnsafeAtomicCounter()
        let seen = Locked<[[UInt64]]>(Array(repeating: [], count: writers))
        let failure = Locked<String?>(nil)
        var bodies: [@Sendable () -> Void] = []
        for _ in 0..<readers {
            bodies.append {
                do {
                    let reader = try ChannelReader(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: Self.neverLook)
                    var pauses = RandomPauses(period: 1_000)
                    var mine: [[UInt64]] = Array(repeating: [], count: writers)
                    while true {
                        // Stop once every message is claimed; a closing channel wakes the rest.
                        guard
                            (try reader.receive(
                                timeout: nil,
                                { message in
                                    mine[Int(message.load(as: UInt64.self))].append(message.load(fromByteOffset: 8, as: UInt64.self))
                                })) != nil
                        else { break }
                        if taken.increment() == total { scratch.hosted.close() }
                        pauses.maybePause()
                    }
                    for (writer, values) in mine.enumerated() where values != values.sorted() {
                        failure.value = "writer \(writer)'s messages out of order"
                    }
                    seen.withLock { all in for index in 0..<writers { all[index] += mine[index] } }
                } catch {
                    failure.value = "reader: \(error)"
                }
            }
        }
        for index in 0..<writers {
            bodies.append {
                do {
                    let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: Self.neverLook)
                    var pauses = RandomPauses(period: 1_000)
                    for sequence in 0..<perWriter {
                        try writer.write { slot in
                            slot.storeBytes(of: UInt64(index), as: UInt64.self)
                            slot.storeBytes(of: sequence, toByteOffset: 8, as: UInt64.self)
                            return 16
                        }
                        pauses.maybePause()
                    }
                } catch {
                    failure.value = "writer: \(error)"
                }
            }
        }
        let finished = runOnThreads(bodies, seconds: 120)
        let header = scratch.hosted.header
        #expect(
            finished,
            "a client hung: a wake-up was lost; write \(header.writeCursor.load(ordering: .relaxed)) read \(header.readCursor.load(ordering: .relaxed)) writersWaiting \(header.writersWaiting.load(ordering: .relaxed)) readersWaiting \(header.readersWaiting.load(ordering: .relaxed)) empty \(scratch.hosted.empty.value) full \(scratch.hosted.full.value) taken \(taken.increment() - 1)"
        )
        #expect(failure.value == nil, "\(failure.value ?? "")")
        for values in seen.value {
            #expect(values.count == Int(perWriter) && Set(values).count == Int(perWriter))
        }
    }
}

/// A counter shared by threads.
///
/// `@unchecked Sendable`: `value`, its only state, is read and changed only with `lock` held.
final class UnsafeAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0
    func increment() -> UInt64 {
        lock.withLock {
            value += 1
            return value
        }
    }
}

/// The fan-out protocol's hand-offs under the same fire: readers asleep on their slot's futex
/// word, writers asleep on the gate (block) or on the previous lap's writer, with waits that
/// look at the channel only every 60 s, so a lost wake-up is a hang.
@Suite("fan-out: no lost wake-up, no torn message", .serialized)
struct FanoutStressTests {
    /// Writer `writer`'s message `sequence`: both, then a checksum of both.
    static func fill(_ slot: UnsafeMutableRawBufferPointer, writer: UInt32, sequence: UInt32) -> Int {
        slot.storeBytes(of: writer, toByteOffset: 0, as: UInt32.self)
        slot.storeBytes(of: sequence, toByteOffset: 4, as: UInt32.self)
        slot.storeBytes(of: (writer &* 2_654_435_761) ^ (sequence &* 40_503), toByteOffset: 8, as: UInt32.self)
        return 12
    }

    @Test(
        "2 writers × 3 readers, rings of 2 and 4 slots, random pauses: every reader accounts for every message",
        arguments: [SlowReaderPolicy.block, .drop], [UInt64(0), 2_000])
    func writersAndReaders(policy: SlowReaderPolicy, spin: UInt64) throws {
        let slots = spin == 0 ? 2 : 4
        let scratch = try ScratchChannel(.ring(slots: slots, slotSize: 16, protocol: .fast), spinNanoseconds: spin, delivery: .fanout(policy))
        let writers = 2
        let readers = 3
        let perWriter = UInt32((spin == 0 ? 50_000 : 200_000) * Int(WakeUpStressTests.scale))
        let attached = Locked(0)
        let failures = Locked<[String]>([])
        let results = Locked<[(received: UInt64, lost: UInt64)]>([])
        var bodies: [@Sendable () -> Void] = []
        for index in 0..<readers {
            bodies.append {
                do {
                    let reader = try ChannelReader(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: WakeUpStressTests.neverLook)
                    attached.withLock { $0 += 1 }
                    var pauses = WakeUpStressTests.RandomPauses(period: 500)
                    var last = [Int64](repeating: -1, count: writers)
                    var received: UInt64 = 0
                    var problem: String?
                    while let seen = try reader.receiveBatch(
                        maximum: 8,
                        { message in
                            let writer = Int(message.load(fromByteOffset: 0, as: UInt32.self))
                            let sequence = message.load(fromByteOffset: 4, as: UInt32.self)
                            let sum = message.load(fromByteOffset: 8, as: UInt32.self)
                            guard message.count == 12, writer < writers, sum == (UInt32(writer) &* 2_654_435_761) ^ (sequence &* 40_503) else {
                                problem = problem ?? "reader \(index): a torn message"
                                return
                            }
                            // Block: each writer's messages one after another; drop: rising, gaps allowed.
                            let expected = last[writer] + 1
                            if (policy == .block && Int64(sequence) != expected) || Int64(sequence) < expected {
                                problem = problem ?? "reader \(index): writer \(writer)'s \(sequence) after \(last[writer])"
                            }
                            last[writer] = Int64(sequence)
                        })
                    {
                        received += UInt64(seen)
                        pauses.maybePause()
                    }
                    if let problem { failures.withLock { $0.append(problem) } }
                    let lost = reader.lostMessages
                    results.withLock { $0.append((received, lost)) }
                } catch {
                    failures.withLock { $0.append("reader \(index): \(error)") }
                }
            }
        }
        let finished = Locked(0)
        for writerIndex in 0..<writers {
            bodies.append {
                do {
                    let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, waitSeconds: nil, waitSlice: WakeUpStressTests.neverLook)
                    // Every reader joins before the first message, so each must see them all.
                    while attached.value < readers { usleep(100) }
                    var pauses = WakeUpStressTests.RandomPauses(period: 500)
                    var next: UInt32 = 0
                    while next < perWriter {
                        let batch = min(Int.random(in: 1...3), Int(perWriter - next))
                        let base = next
                        next += UInt32(
                            try writer.writeBatch(maximum: batch) { index, slot in
                                Self.fill(slot, writer: UInt32(writerIndex), sequence: base + UInt32(index))
                            })
                        pauses.maybePause()
                    }
                } catch {
                    failures.withLock { $0.append("writer \(writerIndex): \(error)") }
                }
                // The last writer done closes the channel: readers drain what is left and stop.
                if finished.withLock({ count -> Bool in
                    count += 1
                    return count == writers
                }) {
                    scratch.hosted.close()
                }
            }
        }
        #expect(runOnThreads(bodies, seconds: 300), "a client hung: a wake-up was lost")
        #expect(failures.value.isEmpty, "\(failures.value)")
        let total = UInt64(writers) * UInt64(perWriter)
        #expect(results.value.count == readers)
        for result in results.value {
            #expect(result.received + result.lost == total, "\(result) of \(total)")
            if policy == .block { #expect(result.lost == 0) }
        }
    }
}
