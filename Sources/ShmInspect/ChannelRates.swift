/// How fast a channel moved between two reports of it: messages per second in (written) and out
/// (read), and bytes per second estimated from the recent mean message length (the header keeps
/// no byte counts).
package struct ChannelRates: Equatable, Sendable {
    package var messagesIn: Double
    package var messagesOut: Double
    package var bytesIn: Double
    package var bytesOut: Double

    package static let zero = ChannelRates(messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0)

    /// The rates from `before` to `after`, `seconds` apart; zero when the channel was replaced
    /// in between (another generation, or counters that went backwards).
    package init(from before: ChannelReport, to after: ChannelReport, seconds: Double) {
        guard seconds > 0, before.daemon.generation == after.daemon.generation,
            after.counters.written >= before.counters.written, after.counters.read >= before.counters.read
        else {
            self = .zero
            return
        }
        messagesIn = Double(after.counters.written - before.counters.written) / seconds
        messagesOut = Double(after.counters.read - before.counters.read) / seconds
        let bytes = after.recentMessageBytes ?? 0
        bytesIn = messagesIn * bytes
        bytesOut = messagesOut * bytes
    }

    package init(messagesIn: Double, messagesOut: Double, bytesIn: Double, bytesOut: Double) {
        self.messagesIn = messagesIn
        self.messagesOut = messagesOut
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }
}
