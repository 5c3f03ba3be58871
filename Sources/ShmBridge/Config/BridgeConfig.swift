/// One `[[bridge]]` of bridge.toml, checked: everything a bridge needs to run.
package struct BridgeConfig: Equatable, Sendable {
    /// Which way messages go.
    package enum Direction: String, Equatable, Sendable {
        /// From the local channel to the JetStream subject.
        case out
        /// From the JetStream subject (a durable consumer) into the local channel.
        case `in`
    }

    /// The bridge's name: the unit instance (`shm-bridge@NAME`) and the journal's `SHMD_BRIDGE`.
    package var name: String
    package var direction: Direction
    /// The local channel, as shmd.toml names it, and shmd's prefix.
    package var channel: String
    package var prefix: String
    /// The JetStream subject the messages are published to (out) or consumed from (in).
    package var subject: String
    /// The stream that holds the subject.
    package var stream: String
    /// The durable consumer's name (in); out bridges have none.
    package var durable: String?
    /// `nats://host:port` URLs.
    package var servers: [String]
    /// The file the credentials are read from, if the server asks for them.
    package var credentialsFile: String?
    /// The TLS the connection must use, when `tls-ca` or `tls-hostname` is set.
    package var tls: NatsTLS? = nil
    /// The most messages published and not yet acknowledged (out), or delivered and not yet
    /// acknowledged (in).
    package var inFlight: Int

    /// `in-flight` when the config does not say: an out bridge waits for a whole window's
    /// acknowledgements before it takes the window, so a window costs a round trip to
    /// JetStream's disk; 1024 carried 0.90× what libnats alone does, 256 0.53–0.65× (README,
    /// "Throughput across the bridge").
    package static let defaultInFlight = 1024
    /// Whether a missing stream is created (over `subject`), or is an error.
    package var createStream: Bool
    /// Where a message that does not fit the destination channel's slot goes (in), counted.
    package var deadLetterSubject: String?
    /// The stream's duplicate window when the bridge creates it: a republish after a crash
    /// within this many seconds is dropped by JetStream.
    package var duplicateWindowSeconds: Double
    /// How long JetStream waits for an acknowledgement before it redelivers (in).
    package var ackWaitSeconds: Double
    /// Where an in bridge keeps the last stream sequence it wrote (`NAME.sequence`).
    package var stateDirectory: String
    /// Where the bridge writes its counters for `shmctl` (`NAME.status`).
    package var statusDirectory: String
}
