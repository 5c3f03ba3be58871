/// A warning that can repeat once per message (a message too large for the channel, on a stream
/// full of them) logged at most once per interval, with the count of those not logged since:
/// the journal keeps the news without a line per message.
package struct ThrottledWarning {
    let intervalSeconds: Double
    private var nextLine: Double = -.infinity
    private var unlogged = 0

    package init(intervalSeconds: Double) {
        self.intervalSeconds = intervalSeconds
    }

    /// Records one occurrence at `now` (seconds, monotonic).
    ///
    /// - Returns: `nil` when no line is due; otherwise how many occurrences before this one went
    ///   unlogged since the last line (0 for the first).
    package mutating func occurred(at now: Double) -> Int? {
        guard now >= nextLine else {
            unlogged += 1
            return nil
        }
        defer {
            unlogged = 0
            nextLine = now + intervalSeconds
        }
        return unlogged
    }
}
