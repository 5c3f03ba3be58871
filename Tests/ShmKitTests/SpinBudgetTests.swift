import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShmHost
@testable import ShmKit

@Suite("fast protocol: the adaptive spin budget", .serialized)
struct SpinBudgetTests {
    static let ceiling: UInt64 = 50_000

    @Test("the policy: short waits keep the full spin; long ones stop it but for probes (backing off to 1 in 16); one short probe restores it")
    func policy() {
        var budget = SpinBudget()
        #expect(budget.next(ceiling: 0) == 0, "spin-us = 0 is no spin")
        // Short waits: the full ceiling, whatever came before.
        for _ in 0..<100 {
            #expect(budget.next(ceiling: Self.ceiling) == Self.ceiling)
            budget.caught(short: true)
        }
        #expect(budget.score == 0)
        // Long waits mixed with short ones at 4 to 1 or less: still spinning.
        for _ in 0..<50 {
            for _ in 0..<4 {
                #expect(budget.next(ceiling: Self.ceiling) == Self.ceiling)
                budget.caught(short: false)
            }
            #expect(budget.next(ceiling: Self.ceiling) == Self.ceiling)
            budget.caught(short: true)
        }
        #expect(!budget.isSleeping)
        // A steady stream of long waits (caught late, or expired): the spin stops after 8 net.
        for index in 0..<SpinBudget.sleepScore {
            #expect(budget.next(ceiling: Self.ceiling) == Self.ceiling)
            if index.isMultiple(of: 2) { budget.caught(short: false) } else { budget.expired() }
        }
        #expect(budget.isSleeping)
        // Then probes after 1, 2, 4 and 8 waits, then one wait in 16, and the rest sleep at once.
        var lengths: [UInt64] = []
        for _ in 0..<70 {
            let length = budget.next(ceiling: Self.ceiling)
            lengths.append(length)
            if length > 0 { budget.caught(short: false) }
        }
        let probes = lengths.enumerated().filter { $0.element > 0 }.map(\.offset)
        #expect(probes == [1, 4, 9, 18, 34, 50, 66], "\(probes)")
        #expect(lengths.allSatisfy { $0 == 0 || $0 == Self.ceiling })
        #expect(budget.next(ceiling: 0) == 0, "spin-us = 0 is no spin, sleeping or not")
        // A probe that catches a message within the short part: back to the full spin.
        while budget.next(ceiling: Self.ceiling) == 0 {}
        budget.caught(short: true)
        #expect(!budget.isSleeping)
        #expect(budget.next(ceiling: Self.ceiling) == Self.ceiling)
        // And 4 long waits net before it stops again.
        for _ in 0..<3 { budget.expired() }
        #expect(!budget.isSleeping)
        budget.expired()
        #expect(budget.isSleeping)
    }

    @Test("the short part of a spin is 5 µs and two copies of a slot at 16 GB/s, or the whole spin if that is shorter")
    func shortEnd() {
        #expect(SpinBudget.shortEnd(start: 1_000, ceiling: 50_000, slotSize: 0) == 6_000)
        #expect(SpinBudget.shortEnd(start: 1_000, ceiling: 50_000, slotSize: 64) == 6_008)
        #expect(SpinBudget.shortEnd(start: 1_000, ceiling: 2_000, slotSize: 64) == 3_000)
        // A 64 KiB round trip's waits (5–7 µs a hop here) are short: the waiter keeps spinning.
        #expect(SpinBudget.shortEnd(start: 1_000, ceiling: 50_000, slotSize: 65_536) == 14_192)
        // From about 350 KiB on, only a spin that runs out is long.
        #expect(SpinBudget.shortEnd(start: 1_000, ceiling: 50_000, slotSize: 1 << 20) == 51_000)
    }

    /// The writer sends a message every few hundred microseconds, well inside a 2 ms spin: a
    /// fixed spin would catch every one after spinning the whole gap (a core's worth of CPU,
    /// about the gap per message); the adaptive one sleeps on all but one wait in 16.
    @Test("paced well inside the spin ceiling: the reader's CPU per message is a fraction of the gap between messages")
    func pacedReaderSleeps() throws {
        let scratch = try ScratchChannel(.ring(slots: 64, slotSize: 8, protocol: .fast), spinNanoseconds: 2_000_000)
        let count: UInt64 = 1_500
        let failure = Locked<String?>(nil)
        let measured = Locked<(cpu: UInt64, wall: UInt64)?>(nil)
        var bodies: [@Sendable () -> Void] = []
        bodies.append {
            do {
                let reader = try ChannelReader(channel: "c", prefix: scratch.prefix, waitSeconds: nil)
                // The clock starts at the first message, so the writer's attach is not counted.
                guard try reader.receive(timeout: .seconds(30)) != nil else { throw TestFailure("closed early") }
                let cpu = Self.threadCPUNanoseconds()
                let wall = Deadline.now.nanoseconds
                for _ in 1..<count {
                    guard try reader.receive(timeout: .seconds(30)) != nil else { throw TestFailure("closed early") }
                }
                measured.value = (Self.threadCPUNanoseconds() - cpu, Deadline.now.nanoseconds - wall)
            } catch {
                failure.value = "reader: \(error)"
            }
        }
        bodies.append {
            do {
                let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, waitSeconds: nil)
                for value in 0..<count {
                    try writer.send(withUnsafeBytes(of: value) { Array($0) }, timeoutSeconds: 30)
                    usleep(300)
                }
            } catch {
                failure.value = "writer: \(error)"
            }
        }
        #expect(runOnThreads(bodies, seconds: 120), "a client hung")
        #expect(failure.value == nil, "\(failure.value ?? "")")
        let (cpu, wall) = try #require(measured.value)
        let perMessage = Double(cpu) / Double(count - 1)
        let gap = Double(wall) / Double(count - 1)
        // A fixed spin: about the gap (half of it on a machine so loaded that the yields in
        // the spin give the core away half the time). Adaptive: a probe's gap in 16, plus a
        // sleep and a wake-up, about a tenth.
        #expect(perMessage < gap / 4, "reader: \(Int(perMessage)) ns CPU a message, \(Int(gap)) ns apart")
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
