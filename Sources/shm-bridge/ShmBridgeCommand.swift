import ArgumentParser
import Logging
import ShmBridge
import ShmCLI
import ShmDaemon
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct ShmBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shm-bridge",
        abstract: "Carries a shmd channel to other hosts through NATS JetStream, or from them into a channel.",
        discussion: """
            Runs one [[bridge]] of the config (\(BridgeConfigLoader.defaultPath) unless --config says otherwise): \
            direction "out" publishes the channel's messages to a JetStream subject, each released from the \
            channel only once JetStream acknowledged it; direction "in" writes a durable consumer's messages into \
            the channel, acknowledging only what is in it. Credentials come from the file the config's \
            credentials key names, never from the command line.
            \(exitCodes.helpLine)

            Examples:
              shm-bridge --config /etc/shmd/bridge.toml orders-out
              shm-bridge --check-config --config /etc/shmd/bridge.toml
              shm-bridge --print-drop-in orders-out > network.conf
            """)

    static let exitCodes = ExitCodeTable([
        .init(.ok, "stopped cleanly"),
        ExitCodeTable.usage,
        .init(.unavailable, "NATS or the channel is unusable"),
        .init(.osError, "system error"),
        .init(.permissionDenied, "NATS refused the credentials, or the channel's objects"),
        .init(.config, "invalid config, or a TLS certificate that does not check out"),
    ])

    @Option(name: .long, help: "The TOML file with the [[bridge]] tables.")
    var config: String = BridgeConfigLoader.defaultPath

    @Flag(name: .long, help: "Validate the config (and the credentials files it names), print 'ok' or the error, and exit.")
    var checkConfig = false

    @Flag(
        name: .long,
        help: "Print the drop-in for shm-bridge@NAME.service that lets it reach the bridge's NATS servers (IPAddressAllow=, names resolved now), and exit."
    )
    var printDropIn = false

    @Argument(help: "The bridge to run (its name in the config); optional when the config has only one.")
    var name: String?

    func run() throws {
        LoggingSystem.bootstrap { ShmdLogHandler(label: $0) }
        let logger = Logger(label: "shm-bridge")
        let bridge: BridgeConfig
        let credentials: NatsCredentials?
        do {
            let bridges = try BridgeConfigLoader.load(path: config)
            if checkConfig {
                for bridge in bridges { _ = try bridge.credentialsFile.map { try CredentialsFile.load(path: $0, key: "credentials") } }
                print("ok")
                return
            }
            bridge = try Self.pick(name, from: bridges, file: config)
            if printDropIn {
                print(try NetworkDropIn.text(for: bridge, file: config), terminator: "")
                return
            }
            credentials = try bridge.credentialsFile.map { try CredentialsFile.load(path: $0, key: "credentials") }
        } catch let error as ConfigError {
            Self.fail(logger, "invalid configuration: \(error)", event: "config-error", code: .config)
        }
        Self.handleTermination()
        let runtime = BridgeRuntime(config: bridge, logger: logger)
        runtime.logger.notice(
            "starting shm-bridge \(bridge.name) (pid \(getpid()), \(bridge.direction == .out ? "channel '\(bridge.channel)' → subject '\(bridge.subject)'" : "subject '\(bridge.subject)' → channel '\(bridge.channel)'"))",
            metadata: ["event": "starting"])
        do {
            switch bridge.direction {
            case .out: try OutBridge(runtime: runtime).run(credentials: credentials)
            case .in: try InBridge(runtime: runtime).run(credentials: credentials)
            }
        } catch let error as NatsError where error.isPermission {
            Self.fail(
                runtime.logger,
                "NATS at \(bridge.servers.joined(separator: ",")) refused bridge '\(bridge.name)': \(error); check the credentials file \(bridge.credentialsFile ?? "(none configured: set credentials in \(config))")",
                event: "permission-denied", code: .permissionDenied)
        } catch let error as NatsError where error.isTLS {
            let fix =
                error.isTLSNotOffered
                ? "the server does not require TLS (none, or allow_non_tls): require it there (a tls {} block in its config), or remove tls-ca, tls-hostname and tls:// from \(config)"
                : "set tls-ca in \(config) to the PEM file of the CA that signed the servers' certificates, and tls-hostname to the name they carry (\(bridge.tls.map { "now: tls-ca \($0.caFile ?? "(the system's)"), tls-hostname \($0.hostname ?? "(not checked)")" } ?? "neither is set"))"
            Self.fail(
                runtime.logger, "bridge '\(bridge.name)' found no TLS it trusts at \(bridge.servers.joined(separator: ",")): \(error); \(fix)",
                event: "tls-error", code: .config)
        } catch let error as NatsError where error.isNotFound {
            Self.fail(
                runtime.logger,
                "bridge '\(bridge.name)': \(error); create it, or set create-stream = true in \(config)", event: "not-found",
                code: .unavailable)
        } catch let error as NatsError {
            Self.fail(runtime.logger, "bridge '\(bridge.name)': \(error)", event: "nats-error", code: error.exitCode)
        } catch let error as ChannelError {
            Self.fail(runtime.logger, "bridge '\(bridge.name)': \(error)", event: "channel-error", code: error.exitCode)
        } catch {
            Self.fail(runtime.logger, "bridge '\(bridge.name)': \(error)", event: "error", code: .osError)
        }
        runtime.stopped()
    }

    /// The bridge `name` names, or the only one.
    static func pick(_ name: String?, from bridges: [BridgeConfig], file: String) throws(ConfigError) -> BridgeConfig {
        let names = bridges.map(\.name).joined(separator: ", ")
        guard let name else {
            guard bridges.count == 1 else {
                throw ConfigError(file: file, line: nil, key: "bridge", reason: "it has \(bridges.count) bridges (\(names)): name the one to run")
            }
            return bridges[0]
        }
        guard let bridge = bridges.first(where: { $0.name == name }) else {
            throw ConfigError(file: file, line: nil, key: "bridge", reason: "no bridge named '\(name)' (it has: \(names))")
        }
        return bridge
    }

    /// Logs `message` (to stderr or the journal), and exits with `code`.
    static func fail(_ logger: Logger, _ message: String, event: String, code: SysExit) -> Never {
        logger.error("\(message)", metadata: ["event": "\(event)"])
        Glibc.exit(code.rawValue)
    }

    /// SIGTERM and SIGINT ask the bridge loop to stop after the window at hand. They are also
    /// unblocked: a parent may have left them blocked (test runners and some supervisors do),
    /// and then `systemctl stop` would wait for its timeout and SIGKILL. This runs before
    /// libnats starts its threads, which inherit the mask; the handler only sets a flag, so
    /// whichever thread takes the signal is fine.
    static func handleTermination() {
        _ = BridgeRuntime.stopRequested.load(ordering: .relaxed) // initialised outside the handler
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in BridgeRuntime.stopRequested.store(true, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
            sigaddset(&handled, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }
}
