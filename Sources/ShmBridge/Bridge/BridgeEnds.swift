import ShmDaemon
import ShmKit

/// Reaching the two ends of a bridge: the NATS servers, retried with backoff for as long as
/// they are unreachable, and the local channel, waited for while shmd has not created it.
extension BridgeRuntime {
    /// Connects to NATS and opens a JetStream context, retrying with `NatsBackoff` while no
    /// server answers.
    ///
    /// - Returns: `nil` when a stop was requested meanwhile.
    /// - Throws: `NatsError` that retrying cannot cure: refused credentials (`isPermission`).
    package func connect(credentials: NatsCredentials?) throws(NatsError) -> JetStream? {
        var attempt = 0
        let servers = config.servers.joined(separator: ",")
        while !stopping {
            do {
                // An in-bridge's pull requests must not wait in a reconnect buffer (see
                // PullSubscription); an out-bridge's publishes may, the window republishes anyway.
                let connection = try NatsConnection(
                    servers: config.servers, name: "shm-bridge \(config.name)", credentials: credentials, tls: config.tls,
                    bufferWhileReconnecting: config.direction == .out, events: linkEvents)
                let jetStream = try JetStream(connection: connection, maxPending: config.inFlight)
                state("connected", "connected to NATS at \(connection.connectedServer)")
                return jetStream
            } catch {
                guard error.isUnreachable else { throw error }
                attempt += 1
                state(
                    "unreachable", "cannot reach NATS at \(servers): \(error); retrying with backoff (check the servers key and the network)",
                    level: .warning)
                pause(milliseconds: NatsBackoff.milliseconds(attempt: attempt))
            }
        }
        return nil
    }

    /// Makes sure the bridge's stream exists, creating it when the config says so; waits while
    /// JetStream does not answer.
    ///
    /// - Returns: `false` when a stop was requested meanwhile.
    /// - Throws: `NatsError` for a stream that does not exist and is not to be created
    ///   (`isNotFound`), or other refusals.
    package func ensureStream(_ jetStream: JetStream) throws(NatsError) -> Bool {
        var attempt = 0
        while !stopping {
            do {
                let created = try jetStream.ensureStream(
                    name: config.stream, subjects: [config.subject], create: config.createStream,
                    duplicateWindowSeconds: config.duplicateWindowSeconds)
                if created {
                    logger.notice(
                        "created stream '\(config.stream)' over subject '\(config.subject)' (file storage, duplicate window \(config.duplicateWindowSeconds) s)",
                        metadata: ["event": "stream-created"])
                }
                return true
            } catch {
                guard error.isUnreachable else { throw error }
                attempt += 1
                state("jetstream-unavailable", "JetStream does not answer: \(error); retrying with backoff (is the server started with -js?)", level: .warning)
                pause(milliseconds: NatsBackoff.milliseconds(attempt: attempt))
            }
        }
        return false
    }

    /// Attaches `attach` to the bridge's channel, waiting while it does not exist.
    ///
    /// - Returns: `nil` when a stop was requested meanwhile.
    /// - Throws: `ChannelError` other than not found (a mismatched header, no permission).
    package func attachChannel<Client>(_ attach: (String, String) throws -> Client) throws -> Client? {
        while !stopping {
            do {
                let client = try attach(config.channel, config.prefix)
                state("attached", "attached to channel '\(config.channel)'", level: .info)
                return client
            } catch let error as ChannelError {
                switch error {
                case .notFound, .emptySegment, .closed:
                    state(
                        "waiting-for-channel",
                        "channel '\(config.channel)' is not there (\(error)): is shmd running with it? systemctl status shmd; waiting",
                        level: .warning)
                    pause(milliseconds: 200)
                default: throw error
                }
            }
        }
        return nil
    }
}
