import Logging
import ShmKit

/// The out direction: a local channel's messages published to a JetStream subject, each
/// released from the channel only after JetStream acknowledged it.
///
/// How, and why it loses nothing and duplicates nothing:
///
/// - The bridge reads with `peek`, which lends the published messages at the channel's read
///   cursor *without moving it*, and publishes them asynchronously, at most `in-flight` at a
///   time, each with `Nats-Msg-Id: CHANNEL.CREATED.GENERATION.TICKET` (`CREATED`: when shmd
///   made the channel, in nanoseconds; without it, the messages of a channel made anew by a
///   restarted shmd would reuse the old one's ids, and JetStream would drop them as duplicates).
/// - Only when JetStream has acknowledged every message of the window does the bridge `take`
///   them: the read cursor moves past them and their slots are freed for writers.
/// - Killed before the take, the bridge leaves the window in the ring, untouched, at the front of
///   the queue, under the same tickets. The restarted bridge peeks the same messages and
///   publishes them again with the same ids; JetStream's duplicate window (the stream's
///   `duplicate-window`, 2 minutes by default) drops those that had landed. Order is kept because
///   nothing was ever put back: the window simply was not consumed.
/// - A failed or late acknowledgement (the server went away, a timeout) leaves the window in
///   place too: it is republished, with the same ids, until it is acknowledged. Each message
///   but a window's first also names its predecessor (`Nats-Expected-Last-Msg-Id`), so that a
///   copy of a failed window libnats still sends after a reconnect cannot land ahead of a
///   message of that window that was lost (see `publish`).
/// - The one window where a forwarded message can come round again: the bridge dies inside
///   `take`, after the cursor moved and before the slots are freed. shmd then redelivers those
///   messages under new tickets (new ids), so B may see them twice. That window is a few
///   instructions long.
///
/// Requirements that follow: the bridge is its channel's only reader (`peek` refuses a second),
/// on a queue channel with `protocol = "fast"`; a restart must come within the duplicate
/// window (systemd restarts the unit in seconds); and nothing else publishes into its stream
/// (the last-message check is the stream's, not the subject's: another publisher's message
/// between two of a window would have that window rejected until it lands whole).
package struct OutBridge {
    let runtime: BridgeRuntime
    /// How long to wait for a window's acknowledgements before republishing it.
    static let acknowledgementTimeoutMilliseconds: Int64 = 5000

    package init(runtime: BridgeRuntime) {
        self.runtime = runtime
    }

    /// Runs until a stop is requested.
    ///
    /// - Throws: `NatsError` or `ChannelError` that retrying cannot cure.
    package func run(credentials: NatsCredentials?) throws {
        let config = runtime.config
        guard let jetStream = try runtime.connect(credentials: credentials), try runtime.ensureStream(jetStream) else { return }
        while !runtime.stopping {
            guard let reader = try runtime.attachChannel({ try ChannelReader(channel: $0, prefix: $1, waitSeconds: 0) }) else { return }
            runtime.ready("forwarding channel '\(config.channel)' to '\(config.subject)' on stream '\(config.stream)'")
            try forward(from: reader, to: jetStream)
        }
    }

    /// Forwards windows until the channel closes (then the caller attaches again) or a stop is
    /// requested.
    private func forward(from reader: ChannelReader, to jetStream: JetStream) throws {
        let config = runtime.config
        while !runtime.stopping {
            runtime.tick()
            let window: ChannelReader.Peeked
            do {
                guard let peeked = try reader.peek(maximum: config.inFlight, timeoutSeconds: 0.2) else {
                    runtime.state("channel-closed", "channel '\(config.channel)' closed (shmd stopped?): attaching again", level: .warning)
                    return
                }
                window = peeked
            } catch ChannelError.timedOut {
                continue
            }
            var attempt = 0
            while !publish(window, from: reader, to: jetStream) {
                if runtime.stopping { return } // not taken: the next bridge publishes it again
                attempt += 1
                runtime.counters.republished += 1
                runtime.state(
                    "publish-failing", "JetStream did not acknowledge a window of \(window.count) messages: republishing it with backoff",
                    level: .warning)
                runtime.pause(milliseconds: NatsBackoff.milliseconds(attempt: attempt))
            }
            if attempt > 0 { runtime.state("connected", "JetStream acknowledges again", level: .notice) }
            try reader.take(window)
            runtime.counters.inFlight = 0
            runtime.counters.forwarded += UInt64(window.count)
            runtime.counters.acked += UInt64(window.count)
        }
    }

    /// Publishes every message of `window` and waits for their acknowledgements.
    ///
    /// - Returns: whether all were acknowledged.
    private func publish(_ window: ChannelReader.Peeked, from reader: ChannelReader, to jetStream: JetStream) -> Bool {
        let config = runtime.config
        let idPrefix = "\(config.channel).\(reader.createdAt).\(window.generation)."
        // Each message after the window's first is stored only right after its predecessor
        // (`Nats-Expected-Last-Msg-Id`). Without that, a failed window could land out of order:
        // the messages libnats buffered while it was reconnecting (and whatever was still in its
        // write buffer) go to the new server as soon as it reconnects, before the republish, and
        // are stored there, ahead of the messages that were lost in the old socket; those then
        // land behind them when the window is republished (issue 15: B saw "87 messages lost",
        // a window's middle arriving after its end). With the header the stream's part of a
        // window is always a prefix of it, in order: such an early message is rejected (its
        // late error ack is ignored, it was forgotten) and lands again, in place, with the
        // republish, which JetStream checks for duplicates first. The window's first message
        // needs no check: every earlier window was acknowledged in full before it was published.
        var previousID: String?
        do {
            for index in 0..<window.count {
                let ticket = window.first &+ UInt64(index)
                // An abandoned slot (its writer died mid-message) carries nothing to forward.
                guard let message = reader.peekedMessage(ticket) else { continue }
                let messageID = idPrefix + String(ticket)
                try jetStream.publishAsync(subject: config.subject, payload: message, messageID: messageID, previousID: previousID)
                previousID = messageID
                runtime.counters.inFlight += 1
            }
        } catch {
            runtime.logger.debug("publishing failed: \(error)")
            jetStream.forgetPending()
            return false
        }
        return jetStream.waitForAcknowledgements(timeoutMilliseconds: Self.acknowledgementTimeoutMilliseconds)
    }
}
