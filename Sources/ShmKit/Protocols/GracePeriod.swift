/// The fixed waits of the protocols, named once.
package enum GracePeriod {
    /// How long a reader of a closed channel waits for a writer that took a ticket before the
    /// close to publish it: a live writer is a copy away, and one that died holding the ticket
    /// never publishes, so the wait must be bounded.
    package static let closingWriterSeconds: Double = 1
    /// `closingWriterSeconds` in nanoseconds.
    package static let closingWriterNanoseconds: UInt64 = 1_000_000_000
    /// How often a client waiting for shmd to create a channel looks again (`usleep(3)`
    /// microseconds).
    package static let attachPollMicroseconds: UInt32 = 20_000
}
