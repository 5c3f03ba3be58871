/// What a client got when it asked a ring for slots.
enum TicketOutcome {
    /// `count` consecutive tickets starting at `first`.
    case tickets(first: UInt64, count: Int)
    /// The channel closed (and, for a reader, nothing is left to drain).
    case closed
    /// The deadline passed first.
    case timedOut
    /// The ring's shared state is impossible (see `RingCorruption`): no wait can end well.
    case corrupt(String)
}
