import Testing

@testable import ShmHost
@testable import ShmKit

@Suite("seconds given for timeout: and wait: — nan, inf and negative values")
struct SecondsArgumentTests {
    @Test("Deadline.after is defined for every Double: nan, 0 and negative are now, +inf is none, huge ones as far as a deadline goes")
    func deadlineIsTotal() throws {
        for seconds in [Double.nan, -Double.nan, -1, -Double.infinity, 0, -0.0] {
            let deadline = try #require(Deadline.after(seconds: seconds))
            #expect(deadline.hasPassed, "\(seconds)")
        }
        for seconds in [Double.greatestFiniteMagnitude, 1e12] {
            let deadline = try #require(Deadline.after(seconds: seconds))
            let ahead = Double(deadline.nanoseconds - Deadline.now.nanoseconds) / 1e9
            #expect(ahead > Deadline.longestDelay - 10 && ahead <= Deadline.longestDelay, "\(seconds): \(ahead) s")
        }
        #expect(Deadline.after(seconds: nil) == nil)
        // No limit, as nil: no clock read on each call that passes it (the C API's SHMKIT_FOREVER).
        #expect(Deadline.after(seconds: .infinity) == nil)
    }

    /// The error `body` threw, if it is `.invalidArgument` for `argument` with `value` (compared
    /// by what it says: nan is unequal to itself, so `==` cannot).
    func refusal(_ argument: String, _ value: Double, channel: String, _ body: () throws -> Void) -> ChannelError? {
        do {
            try body()
        } catch let error as ChannelError {
            guard case let .invalidArgument(named, given, seen) = error, named == channel, given == argument,
                seen.bitPattern == value.bitPattern || (seen.isNaN && value.isNaN)
            else { return nil }
            return error
        } catch {
            return nil
        }
        return nil
    }

    @Test("attaching refuses a nan or negative wait with invalidArgument (64), before looking for the channel")
    func waitRefused() {
        for wait in [Double.nan, -1, -Double.infinity] {
            #expect(refusal("wait", wait, channel: "nowhere") { _ = try ChannelWriter(channel: "nowhere", prefix: "nothing", waitSeconds: wait) } != nil)
            #expect(refusal("wait", wait, channel: "nowhere") { _ = try ChannelReader(channel: "nowhere", prefix: "nothing", waitSeconds: wait) } != nil)
        }
        let error = ChannelError.invalidArgument(channel: "demo", argument: "wait", value: -1)
        #expect(error.exitCode == .usage)
        #expect(error.description == "invalid wait -1.0 for channel 'demo': give a number of seconds, 0 or more (+infinity for no limit)")
    }

    @Test(
        "send and receive refuse a nan or negative timeout before they take a slot; +inf means no limit",
        arguments: [ChannelProtocol.fast, .classic])
    func timeoutRefused(proto: ChannelProtocol) throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: proto))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, waitSeconds: .infinity)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        for timeout in [Double.nan, -0.5, -Double.infinity] {
            #expect(refusal("timeout", timeout, channel: "c") { try writer.send(Array("x".utf8), timeoutSeconds: timeout) } != nil)
            #expect(refusal("timeout", timeout, channel: "c") { _ = try writer.writeBatch(maximum: 2, timeoutSeconds: timeout) { _, _ in 0 } } != nil)
            #expect(refusal("timeout", timeout, channel: "c") { _ = try reader.receive(timeoutSeconds: timeout) } != nil)
            #expect(refusal("timeout", timeout, channel: "c") { _ = try reader.receiveBatch(maximum: 2, timeoutSeconds: timeout) { _ in } } != nil)
        }
        #expect(scratch.hosted.header.counter(.written) == 0)
        #expect(scratch.hosted.header.writeCursor.load(ordering: .relaxed) == 0)
        try writer.send(Array("kept".utf8), timeoutSeconds: .infinity)
        #expect(try reader.receive(timeoutSeconds: .infinity) == Array("kept".utf8))
    }

    @Test("the Duration API refuses a negative wait or timeout with the same invalidArgument; nil waits without limit")
    func durationsRefused() throws {
        #expect(refusal("wait", -0.001, channel: "nowhere") { _ = try ChannelWriter(channel: "nowhere", prefix: "nothing", wait: .milliseconds(-1)) } != nil)
        #expect(refusal("wait", -2, channel: "nowhere") { _ = try ChannelReader(channel: "nowhere", prefix: "nothing", wait: .seconds(-2)) } != nil)
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .fast))
        let writer = try ChannelWriter(channel: "c", prefix: scratch.prefix, wait: nil)
        let reader = try ChannelReader(channel: "c", prefix: scratch.prefix)
        #expect(refusal("timeout", -0.5, channel: "c") { try writer.send(Array("x".utf8), timeout: .milliseconds(-500)) } != nil)
        #expect(refusal("timeout", -0.5, channel: "c") { _ = try reader.receive(timeout: .milliseconds(-500)) } != nil)
        #expect(scratch.hosted.header.writeCursor.load(ordering: .relaxed) == 0)
        try writer.send(Array("kept".utf8), timeout: nil)
        #expect(try reader.receive(timeout: .seconds(5)) == Array("kept".utf8))
    }

    @Test("error messages with seconds that are not finite do not trap")
    func messagesDoNotTrap() {
        #expect(ChannelError.timedOut(channel: "c", operation: "send", seconds: .nan).description.contains("after nan s"))
        #expect(ChannelError.notFound(channel: "c", object: "/p.c", waited: .infinity).description.contains("after waiting inf s"))
        #expect(ChannelError.timedOut(channel: "c", operation: "send", seconds: 0.25).description.contains("after 0.250 s"))
    }
}
