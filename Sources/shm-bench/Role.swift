import ArgumentParser
import CShim
import Foundation
import Histogram
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// Child descriptor numbers a role finds its barrier and stream ends on.
enum RoleDescriptor {
    static let ready: Int32 = 10
    static let go: Int32 = 11
    static let output: Int32 = 12
    static let input: Int32 = 13
}

/// One side of one measurement, run as its own process by `shm-bench`.
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "(internal) one side of a measurement", shouldDisplay: false)

    enum Side: String, ExpressibleByArgument { case writer, reader, ping, pong }

    @Argument var transport: String
    @Argument var side: Side
    @Argument var size: Int
    @Argument var count: UInt64
    @Option var prefix = ""
    @Option var channel = ""
    @Option var replyChannel = ""
    @Option var cpu: Int = -1
    @Option var warmup: UInt64 = 0
    @Option var batch = 64
    /// Messages per second the writer spaces its sends at (a paced run); 0 sends flat out.
    @Option var pace: UInt64 = 0

    func run() throws {
        guard let transport = Transport(rawValue: transport), transport.roles == .swift else {
            throw ValidationError("unknown transport '\(transport)' for shm-bench's own roles (fast, classic, seed, pipe, socketpair)")
        }
        // Plain values from here on: a property wrapper's getter costs a metadata lookup, far
        // more than a message.
        try RoleJob(
            transport: transport, side: side, size: size, count: count, prefix: prefix, channel: channel,
            replyChannel: replyChannel, cpu: cpu, warmup: warmup, batch: batch, pace: pace
        ).run()
    }
}

/// The work of one role, with its parameters as plain stored values.
struct RoleJob {
    let transport: Transport
    let side: RoleCommand.Side
    let size: Int
    let count: UInt64
    let prefix: String
    let channel: String
    let replyChannel: String
    let cpu: Int
    let warmup: UInt64
    let batch: Int
    let pace: UInt64

    func run() throws {
        if cpu >= 0 { pin(to: cpu) }
        // The endpoints by their concrete types, so that `measure` is specialized for each: no
        // existential and no closure call left between the loop and the transport. That is the
        // harness's overhead, not the transport's work (the C harness has none), and at the
        // 64 B round trip it was about 130 instructions a side (bench/round-trip-analysis.md).
        switch (transport.usesShmd, side) {
        case (true, .writer):
            try measure(ChannelOutbox(writer: try ChannelWriter(channel: channel, prefix: prefix)), nil as ChannelInbox?)
        case (true, .reader):
            try measure(nil as ChannelOutbox?, ChannelInbox(reader: try ChannelReader(channel: channel, prefix: prefix)))
        case (true, .ping):
            try measure(
                ChannelOutbox(writer: try ChannelWriter(channel: channel, prefix: prefix)),
                ChannelInbox(reader: try ChannelReader(channel: replyChannel, prefix: prefix)))
        case (true, .pong):
            try measure(
                ChannelOutbox(writer: try ChannelWriter(channel: replyChannel, prefix: prefix)),
                ChannelInbox(reader: try ChannelReader(channel: channel, prefix: prefix)))
        case (false, .writer):
            try measure(StreamOutbox(fd: RoleDescriptor.output, size: size), nil as StreamInbox?)
        case (false, .reader):
            try measure(nil as StreamOutbox?, StreamInbox(fd: RoleDescriptor.input, size: size))
        case (false, .ping), (false, .pong):
            try measure(StreamOutbox(fd: RoleDescriptor.output, size: size), StreamInbox(fd: RoleDescriptor.input, size: size))
        }
    }

    /// The role's loop over its attached endpoints (`nil` for the direction it does not use).
    private func measure<Out: Outbox, In: Inbox>(_ outbox: Out?, _ inbox: In?) throws {
        let size = self.size
        let count = self.count
        let batch = self.batch
        let warmup = self.warmup
        // Plain buffers, allocated once: the loops below run millions of times.
        let copy = MessageCopy(size: size, textual: transport.textual, inPlace: transport == .inPlace)
        defer { copy.deallocate() }

        // Start barrier: say we are attached, then wait for the parent's go.
        var byte: UInt8 = 1
        _ = write(RoleDescriptor.ready, &byte, 1)
        _ = try Syscall.value(call: "read", object: "the start barrier") { read(RoleDescriptor.go, &byte, 1) }
        close(RoleDescriptor.ready)

        var errors: UInt64 = 0

        switch side {
        case .writer:
            let outbox = outbox!
            let start = now()
            var next: UInt64 = 0
            if pace > 0 {
                let pacer = Pacer(rate: pace)
                while next < count {
                    pacer.wait(for: next)
                    let sequence = next
                    next += UInt64(try outbox.send(maximum: 1, size: size) { _, slot in copy.fill(slot, sequence) })
                }
            }
            while next < count {
                let base = next
                next += UInt64(
                    try outbox.send(maximum: min(batch, Int(count - next)), size: size) { index, slot in
                        copy.fill(slot, base + UInt64(index))
                    })
            }
            print("t0=\(start)")
        case .reader:
            let inbox = inbox!
            var expected: UInt64 = 0
            while expected < count {
                _ = try inbox.receive(maximum: min(batch, Int(count - expected)), size: size) { message in
                    if copy.check(message) != expected { errors += 1 }
                    expected += 1
                }
            }
            print("t1=\(now()) errors=\(errors)")
        case .pong:
            let (outbox, inbox) = (outbox!, inbox!)
            for _ in 0..<(count + warmup) {
                var sequence: UInt64 = 0
                _ = try inbox.receive(maximum: 1, size: size) { message in sequence = copy.check(message) }
                _ = try outbox.send(maximum: 1, size: size) { _, slot in copy.reply(slot, sequence) }
            }
        case .ping:
            let (outbox, inbox) = (outbox!, inbox!)
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            for sequence in 0..<(count + warmup) {
                let start = now()
                _ = try outbox.send(maximum: 1, size: size) { _, slot in copy.fill(slot, sequence) }
                _ = try inbox.receive(maximum: 1, size: size) { message in
                    if copy.check(message) != sequence { errors += 1 }
                }
                let elapsed = now() - start
                if sequence >= warmup { _ = histogram.record(elapsed) }
            }
            print("p50=\(histogram.valueAtPercentile(50)) p99=\(histogram.valueAtPercentile(99)) p999=\(histogram.valueAtPercentile(99.9)) errors=\(errors)")
        }
        withExtendedLifetime((outbox, inbox)) {}
    }

    private func pin(to cpu: Int) {
        if cshim_pin_to_cpu(Int32(cpu)) != 0 {
            FileHandle.standardError.write(Data("shm-bench: cannot pin to CPU \(cpu): \(String(cString: strerror(errno)))\n".utf8))
        }
    }
}

/// How a role writes and checks its messages: the template it copies, the copy it takes of each
/// message received (which a pong sends back), and the sequence stamp.
struct MessageCopy {
    let size: Int
    let textual: Bool
    let inPlace: Bool
    let template: UnsafeMutableRawBufferPointer
    let local: UnsafeMutableRawBufferPointer

    init(size: Int, textual: Bool, inPlace: Bool) {
        self.size = size
        self.textual = textual
        self.inPlace = inPlace
        template = .allocate(byteCount: max(size, 16), alignment: 64)
        template.initializeMemory(as: UInt8.self, repeating: Payload.filler)
        local = .allocate(byteCount: max(size, 16), alignment: 64)
    }

    func deallocate() {
        template.deallocate()
        local.deallocate()
    }

    /// Writes message `sequence` into `slot`.
    @inline(__always)
    func fill(_ slot: UnsafeMutableRawBufferPointer, _ sequence: UInt64) {
        if inPlace {
            InPlacePayload.fill(slot.baseAddress!, size: size, sequence: sequence)
            return
        }
        slot.baseAddress!.copyMemory(from: template.baseAddress!, byteCount: size)
        Payload.stamp(sequence, into: slot, size: size, textual: textual)
    }

    /// Takes `message` (a copy, unless in place) and returns its sequence.
    @inline(__always)
    func check(_ message: UnsafeRawBufferPointer) -> UInt64 {
        if inPlace { return InPlacePayload.check(message) }
        local.baseAddress!.copyMemory(from: message.baseAddress!, byteCount: message.count)
        return Payload.sequence(in: UnsafeRawBufferPointer(rebasing: local[..<message.count]), textual: textual)
    }

    /// A pong's reply to message `sequence`: in place written anew; otherwise the copy `check`
    /// took sent back.
    @inline(__always)
    func reply(_ slot: UnsafeMutableRawBufferPointer, _ sequence: UInt64) {
        if inPlace {
            fill(slot, sequence)
        } else {
            slot.baseAddress!.copyMemory(from: local.baseAddress!, byteCount: size)
        }
    }
}

@inline(__always)
func now() -> UInt64 {
    SystemClock.monotonicNanoseconds()
}
