import ShmInspect

#if canImport(Glibc)
import Glibc
#endif

/// A bridge's counters since it started, and the status file `shmctl bridges` reads
/// (`STATUS/NAME.status`, one `key value` per line, replaced atomically about once a second).
package struct BridgeCounters: Equatable, Sendable {
    /// Messages handed on: published and acknowledged (out), written into the channel (in).
    package var forwarded: UInt64 = 0
    /// Published or delivered and not yet acknowledged, now.
    package var inFlight: UInt64 = 0
    /// Acknowledgements: JetStream's of our publishes (out), ours of its deliveries (in).
    package var acked: UInt64 = 0
    /// Windows published again after a failed or late acknowledgement (out).
    package var republished: UInt64 = 0
    /// Messages JetStream delivered more than once (in).
    package var redelivered: UInt64 = 0
    /// Redelivered messages already in the channel, dropped (in).
    package var duplicatesDropped: UInt64 = 0
    /// Messages too large for the destination, sent to the dead-letter subject.
    package var deadLettered: UInt64 = 0
    /// Times the connection came back after a loss.
    package var reconnects: UInt64 = 0

    /// The status file's text: `key value` lines, stable names, then the bridge's state.
    package func text(name: String, direction: BridgeConfig.Direction, state: String) -> String {
        """
        bridge \(name)
        direction \(direction.rawValue)
        pid \(getpid())
        state \(state)
        forwarded \(forwarded)
        in-flight \(inFlight)
        acked \(acked)
        republished \(republished)
        redelivered \(redelivered)
        duplicates-dropped \(duplicatesDropped)
        dead-lettered \(deadLettered)
        reconnects \(reconnects)

        """
    }

    /// Writes the status file of bridge `name` into `folder`; a failure is the caller's to log.
    package func write(folder: String, name: String, direction: BridgeConfig.Direction, state: String) throws {
        try AtomicFile.replace("\(folder)/\(name).status", with: Array(text(name: name, direction: direction, state: state).utf8))
    }
}
