/// How long to wait before the next attempt to reach a server: doubling from 100 ms up to 5 s,
/// so that a short outage costs little and a long one does not hammer the network.
package enum NatsBackoff {
    /// Milliseconds before attempt `attempt` (1 for the first retry).
    package static func milliseconds(attempt: Int) -> Int64 {
        let exponent = min(max(attempt, 1) - 1, 6)
        return min(100 << Int64(exponent), 5000)
    }
}
