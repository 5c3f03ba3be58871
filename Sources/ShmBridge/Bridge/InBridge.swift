import Logging
import ShmKit

/// The in direction: a durable JetStream pull consumer delivering into a local channel, as its
/// writer, acknowledging only what is in the channel (at-least-once, end to end).
///
/// How the channel gets every message once, in stream order:
///
/// - Each message is written into the channel, then its stream sequence is recorded in the
///   bridge's `SequenceFile`; a batch is acknowledged (`AckAll`: everything up to its last
///   message) only after all of it was written.
/// - A message whose sequence is not above the recorded one is a redelivery of something
///   already in the channel (the bridge died before its ack, or the ack was lost): it is counted
///   as a duplicate and dropped.
/// - After a restart JetStream may deliver newer messages before it redelivers the ones the
///   dead bridge had fetched (those wait for their `ack-wait`). A message above the recorded
///   sequence + 1 therefore first makes the bridge read the missing ones from the stream
///   directly, by sequence, so the channel still gets them in order; their redeliveries are
///   dropped later as duplicates.
/// - A message larger than the channel's slot is published to the dead-letter subject and
///   counted (or, without one, counted and logged), and the stream goes on: never a stall.
/// - While the channel is full, the bridge waits and does not acknowledge; while it is gone
///   (shmd restarting), the bridge waits for it and writes the same message again.
///
/// A duplicate can reach the channel only if the bridge dies between writing a message and
/// recording its sequence (see `SequenceFile`); it is counted by the reader, if at all.
package final class InBridge {
    let runtime: BridgeRuntime
    /// One line per 10 s at most: a stream of oversize messages is counted, not logged each.
    private var deadLetterWarning = ThrottledWarning(intervalSeconds: 10)

    package init(runtime: BridgeRuntime) {
        self.runtime = runtime
    }

    /// Runs until a stop is requested.
    ///
    /// - Throws: `NatsError`, `ChannelError` or `SystemCallError` that retrying cannot cure.
    package func run(credentials: NatsCredentials?) throws {
        let config = runtime.config
        let sequence = try SequenceFile(path: "\(config.stateDirectory)/\(config.name).sequence")
        guard let jetStream = try runtime.connect(credentials: credentials), try runtime.ensureStream(jetStream) else { return }
        guard let subscription = try subscribe(jetStream) else { return }
        guard var writer = try runtime.attachChannel({ try ChannelWriter(channel: $0, prefix: $1, waitSeconds: 0) }) else { return }
        runtime.ready("delivering '\(config.subject)' (consumer '\(config.durable ?? "")') into channel '\(config.channel)'")
        var attempt = 0
        while !runtime.stopping {
            runtime.tick()
            // libnats reconnects by itself and its callbacks log the link's state: a fetch
            // now would only fail (and must not be asked, see PullSubscription).
            guard jetStream.connection.isConnected else {
                runtime.pause(milliseconds: 20)
                continue
            }
            do {
                try subscription.fetch(batch: config.inFlight, timeoutMilliseconds: 200) { messages in
                    runtime.counters.inFlight = UInt64(messages.count)
                    for message in messages {
                        try deliver(message, jetStream: jetStream, sequence: sequence, writer: &writer)
                    }
                    if let last = messages.last {
                        try last.acknowledge()
                        runtime.counters.acked += UInt64(messages.count)
                    }
                    runtime.counters.inFlight = 0
                }
                if attempt > 0 {
                    attempt = 0
                    runtime.state("connected", "the consumer delivers again", level: .notice)
                }
            } catch let error as NatsError where error.isUnreachable {
                // Nothing was acknowledged: JetStream delivers the batch again.
                attempt += 1
                runtime.state("fetch-failing", "cannot fetch from the consumer: \(error); retrying with backoff", level: .warning)
                runtime.pause(milliseconds: NatsBackoff.milliseconds(attempt: attempt))
            } catch is Stopping {
                return
            }
        }
    }

    /// The stop came while a message waited for room: it is not acknowledged.
    struct Stopping: Error {}

    private func subscribe(_ jetStream: JetStream) throws -> PullSubscription? {
        let config = runtime.config
        var attempt = 0
        while !runtime.stopping {
            do {
                return try jetStream.pullSubscribe(
                    stream: config.stream, subject: config.subject, durable: config.durable ?? config.name,
                    maxAckPending: config.inFlight * 4, ackWaitSeconds: config.ackWaitSeconds)
            } catch {
                guard error.isUnreachable else { throw error }
                attempt += 1
                runtime.state("jetstream-unavailable", "cannot create consumer: \(error); retrying with backoff", level: .warning)
                runtime.pause(milliseconds: NatsBackoff.milliseconds(attempt: attempt))
            }
        }
        return nil
    }

    /// Writes one delivered message into the channel unless it is a duplicate, after any the
    /// stream holds between the last one written and it.
    private func deliver(_ message: NatsMessage, jetStream: JetStream, sequence: SequenceFile, writer: inout ChannelWriter) throws {
        let number = try message.streamSequence()
        let last = sequence.value
        if last != 0 && number <= last {
            runtime.counters.duplicatesDropped += 1
            runtime.counters.redelivered += 1
            return
        }
        if last != 0 && number > last &+ 1 {
            for missing in (last &+ 1)..<number {
                let found: Void? = try jetStream.message(stream: runtime.config.stream, sequence: missing) { direct in
                    if direct.subject == runtime.config.subject, try write(direct.data, jetStream: jetStream, writer: &writer) {
                        runtime.counters.forwarded += 1
                    }
                }
                if found == nil {
                    // Said loudly: a message skipped here is a message B never gets.
                    runtime.logger.warning(
                        "stream '\(runtime.config.stream)' has no message \(missing) (deleted or purged?): skipped",
                        metadata: ["event": "gap-skipped"])
                }
                sequence.value = missing
            }
        }
        let written = try write(message.data, jetStream: jetStream, writer: &writer)
        sequence.value = number
        if written { runtime.counters.forwarded += 1 }
    }

    /// Writes `bytes` as one message, waiting for room, attaching again if shmd went away;
    /// or sends it to the dead-letter subject when it can never fit.
    ///
    /// - Returns: whether it is in the channel (`false`: dead-lettered), for the counters.
    private func write(_ bytes: UnsafeRawBufferPointer, jetStream: JetStream, writer: inout ChannelWriter) throws -> Bool {
        let config = runtime.config
        if bytes.count > writer.maximumMessageSize {
            runtime.counters.deadLettered += 1
            if let subject = config.deadLetterSubject {
                // Core NATS, flushed before the ack: the dead-letter subject needs no stream of its
                // own (a stream over it keeps what arrives).
                try jetStream.connection.publish(subject: subject, bytes: bytes)
                try jetStream.connection.flush(timeoutMilliseconds: 5000)
            }
            if let unlogged = deadLetterWarning.occurred(at: BridgeRuntime.monotonicSeconds()) {
                let since = unlogged > 0 ? " (and \(unlogged) more since the last such line)" : ""
                runtime.logger.warning(
                    "a message of \(bytes.count) bytes does not fit channel '\(config.channel)' (slots of \(writer.maximumMessageSize) bytes): \(config.deadLetterSubject.map { "sent to '\($0)'" } ?? "dropped (set dead-letter to keep such messages)")\(since); raise slot-size in shmd.toml",
                    metadata: ["event": "dead-letter"])
            }
            return false
        }
        while true {
            do {
                try writer.write(timeout: .milliseconds(200)) { area in
                    area.copyMemory(from: bytes)
                    return bytes.count
                }
                return true
            } catch ChannelError.timedOut {
                // The channel is full: wait for its readers, acknowledging nothing meanwhile.
                runtime.tick()
                if runtime.stopping { throw Stopping() }
            } catch let error as ChannelError {
                switch error {
                case .closed, .notFound, .truncated, .corrupt:
                    runtime.state("channel-lost", "channel '\(config.channel)' went away (\(error)): waiting for shmd to bring it back", level: .warning)
                    guard let again = try runtime.attachChannel({ try ChannelWriter(channel: $0, prefix: $1, waitSeconds: 0) }) else { throw Stopping() }
                    writer = again
                default: throw error
                }
            }
        }
    }
}
