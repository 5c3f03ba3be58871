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
        let size = self.size
        let count = self.count
        let batch = self.batch
        let warmup = self.warmup
        let textual = transport.textual
        // Plain buffers, allocated once: the loops below run millions of times.
        let template = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 16), alignment: 64)
        template.initializeMemory(as: UInt8.self, repeating: Payload.filler)
        let local = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 16), alignment: 64)
        defer {
            template.deallocate()
            local.deallocate()
        }

        let (outbox, inbox) = try endpoints(transport)
        // Start barrier: say we are attached, then wait for the parent's go.
        var byte: UInt8 = 1
        _ = write(RoleDescriptor.ready, &byte, 1)
        _ = try Syscall.value(call: "read", object: "the start barrier") { read(RoleDescriptor.go, &byte, 1) }
        close(RoleDescriptor.ready)

        let inPlace = transport == .inPlace
        let copyIn: (Int, UnsafeMutableRawBufferPointer, UInt64) -> Void = { _, slot, sequence in
            if inPlace {
                InPlacePayload.fill(slot.baseAddress!, size: size, sequence: sequence)
                return
            }
            slot.baseAddress!.copyMemory(from: template.baseAddress!, byteCount: size)
            Payload.stamp(sequence, into: slot, size: size, textual: textual)
        }
        let copyOut: (UnsafeRawBufferPointer) -> UInt64 = { message in
            if inPlace { return InPlacePayload.check(message) }
            local.baseAddress!.copyMemory(from: message.baseAddress!, byteCount: message.count)
            return Payload.sequence(in: UnsafeRawBufferPointer(rebasing: local[..<message.count]), textual: textual)
        }
        var errors: UInt64 = 0

        switch side {
        case .writer:
            let outbox = outbox! // unwrapped once: unwrapping copies the existential, with a retain
            let start = now()
            var next: UInt64 = 0
            if pace > 0 {
                let pacer = Pacer(rate: pace)
                while next < count {
                    pacer.wait(for: next)
                    let sequence = next
                    next += UInt64(try outbox.send(maximum: 1, size: size) { index, slot in copyIn(index, slot, sequence) })
                }
            }
            while next < count {
                let base = next
                next += UInt64(
                    try outbox.send(maximum: min(batch, Int(count - next)), size: size) { index, slot in
                        copyIn(index, slot, base + UInt64(index))
                    })
            }
            print("t0=\(start)")
        case .reader:
            let inbox = inbox!
            var expected: UInt64 = 0
            while expected < count {
                _ = try inbox.receive(maximum: min(batch, Int(count - expected)), size: size) { message in
                    if copyOut(message) != expected { errors += 1 }
                    expected += 1
                }
            }
            print("t1=\(now()) errors=\(errors)")
        case .pong:
            let (outbox, inbox) = (outbox!, inbox!)
            for _ in 0..<(count + warmup) {
                var sequence: UInt64 = 0
                _ = try inbox.receive(maximum: 1, size: size) { message in sequence = copyOut(message) }
                _ = try outbox.send(maximum: 1, size: size) { _, slot in
                    // In place the reply is written anew; otherwise the copy taken is sent back.
                    if inPlace {
                        copyIn(0, slot, sequence)
                    } else {
                        slot.baseAddress!.copyMemory(from: local.baseAddress!, byteCount: size)
                    }
                }
            }
        case .ping:
            let (outbox, inbox) = (outbox!, inbox!)
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            for sequence in 0..<(count + warmup) {
                let start = now()
                _ = try outbox.send(maximum: 1, size: size) { index, slot in copyIn(index, slot, sequence) }
                _ = try inbox.receive(maximum: 1, size: size) { message in
                    if copyOut(message) != sequence { errors += 1 }
                }
                let elapsed = now() - start
                if sequence >= warmup { _ = histogram.record(elapsed) }
            }
            print("p50=\(histogram.valueAtPercentile(50)) p99=\(histogram.valueAtPercentile(99)) p999=\(histogram.valueAtPercentile(99.9)) errors=\(errors)")
        }
        withExtendedLifetime((outbox, inbox)) {}
    }

    private func endpoints(_ transport: Transport) throws -> (Outbox?, Inbox?) {
        switch (transport.usesShmd, side) {
        case (true, .writer):
            return (ChannelOutbox(writer: try ChannelWriter(channel: channel, prefix: prefix)), nil)
        case (true, .reader):
            return (nil, ChannelInbox(reader: try ChannelReader(channel: channel, prefix: prefix)))
        case (true, .ping):
            return (
                ChannelOutbox(writer: try ChannelWriter(channel: channel, prefix: prefix)),
                ChannelInbox(reader: try ChannelReader(channel: replyChannel, prefix: prefix))
            )
        case (true, .pong):
            return (
                ChannelOutbox(writer: try ChannelWriter(channel: replyChannel, prefix: prefix)),
                ChannelInbox(reader: try ChannelReader(channel: channel, prefix: prefix))
            )
        case (false, .writer):
            return (StreamOutbox(fd: RoleDescriptor.output, size: size), nil)
        case (false, .reader):
            return (nil, StreamInbox(fd: RoleDescriptor.input, size: size))
        case (false, .ping), (false, .pong):
            return (StreamOutbox(fd: RoleDescriptor.output, size: size), StreamInbox(fd: RoleDescriptor.input, size: size))
        }
    }

    private func pin(to cpu: Int) {
        if cshim_pin_to_cpu(Int32(cpu)) != 0 {
            FileHandle.standardError.write(Data("shm-bench: cannot pin to CPU \(cpu): \(String(cString: strerror(errno)))\n".utf8))
        }
    }
}

@inline(__always)
func now() -> UInt64 {
    SystemClock.monotonicNanoseconds()
}
