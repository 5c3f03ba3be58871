import ArgumentParser
import Logging
import ServiceLifecycle
import ShmCLI
import ShmDaemon
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct Shmd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shmd",
        abstract: "Owns shared-memory message channels: creates them, keeps them, unlinks them on SIGTERM.",
        discussion: """
            Without --config, shmd reads \(ConfigLoader.defaultPath); when that file does not exist \
            it serves one built-in channel, 'demo' (64 slots of 1024 bytes).
            One mode at a time: serve the channels (the default), --check-config, or --reload PID.
            \(exitCodes.helpLine)

            Examples:
              shmd
              shmd --config config/shmd.toml
              shmd --check-config --config /etc/shmd/shmd.toml
              shmd --reload "$(systemctl show -P MainPID shmd)"
            """)

    /// shmd's exit statuses, the channel failures' codes taken from the errors themselves.
    static let exitCodes = ExitCodeTable([
        .init(.ok, "stopped cleanly"),
        ExitCodeTable.usage,
        .init(DaemonError.invalidChannel(.foreignObject(channel: "", path: "", reason: "")).exitCode, "cannot create a channel"),
        .init(DaemonError.invalidChannel(.ownedByRunningDaemon(channel: "", pid: 0)).exitCode, "another shmd owns the channels"),
        .init(
            DaemonError.channelCreation(channel: "", SystemCallError(call: "", object: "", errno: .permissionDenied)).exitCode,
            "permission denied"),
        .init(.osError, "system error"),
        .init(.config, "invalid config or reload refused"),
    ])

    @Option(name: .long, help: "The TOML config file.")
    var config: String?

    @Flag(name: .long, help: "Validate the config, print 'ok' or the error, and exit.")
    var checkConfig = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Ask the shmd with this pid to reload its config (SIGHUP) and wait until it has.",
            discussion: "The unit's ExecReload=. Exit 0 when the new config is in force, 78 when it was refused in whole or in part.",
            valueName: "pid"))
    var reload: Int32?

    func validate() throws {
        if reload != nil && (checkConfig || config != nil) {
            throw ValidationError(
                "--reload asks a running shmd to read its own config again: it takes neither --config nor --check-config; give one mode")
        }
    }

    func run() async throws {
        if let reload {
            // Quiet on success, as systemd's own helpers are: the daemon logs the reload itself.
            let answer = ReloadRequest.run(pid: reload)
            if answer.exitCode != .ok { printError("shmd: \(answer.message)") }
            throw ExitCode(answer.exitCode.rawValue)
        }
        // Before any thread starts, so that all of them inherit SIGBUS unblocked.
        SegmentGuard.install()
        LoggingSystem.bootstrap { ShmdLogHandler(label: $0 == "shmd" ? "shmd" : "shmd") }
        let logger = Logger(label: "shmd")

        // Before the config is checked against it, in --check-config too, so that the check sees
        // the limit the daemon runs with.
        let descriptorLimit: Result<FileDescriptorLimit, Error> = Result { try FileDescriptorLimit.raiseSoftToHard() }

        // Remembered, so that a reload (SIGHUP) reads the same place again.
        let source = ConfigSource(path: config)
        let loaded: ConfigSource.Loaded
        do {
            loaded = try source.load()
        } catch let error as ConfigError {
            if checkConfig {
                printError("shmd: \(error)")
            } else {
                logger.error("invalid configuration: \(error)", metadata: ["event": "config-error", "file": "\(error.file)"])
            }
            throw ExitCode(SysExit.config.rawValue)
        }
        if checkConfig {
            if let warning = WorldAccessWarning.message(for: loaded.config) { printError("shmd: warning: \(warning)") }
            print("ok")
            return
        }

        logger.notice(
            "starting shmd (pid \(getpid()), config \(loaded.origin))",
            metadata: ["event": "starting", "file": "\(loaded.origin)"])
        WorldAccessWarning.log(loaded.config, to: logger)
        if case let .failure(error) = descriptorLimit {
            logger.warning(
                "cannot raise the open-file limit to its hard limit: \(error); the config was checked against the soft limit",
                metadata: ["event": "rlimit"])
        }
        if loaded.file == nil {
            logger.notice("\(ConfigLoader.defaultPath) does not exist: serving the built-in channel 'demo'")
        }
        var groupLogger = logger
        groupLogger.logLevel = .warning
        let service = DaemonService(config: loaded.config, source: source, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: groupLogger))
        do {
            try await group.run()
        } catch let error as DaemonError {
            logger.error("\(error)", metadata: ["event": "failed"])
            throw ExitCode(error.exitCode.rawValue)
        } catch let error as ServiceGroupError {
            logger.error("\(error)", metadata: ["event": "failed"])
            throw ExitCode(SysExit.osError.rawValue)
        }
    }
}

func printError(_ text: String) {
    var line = text + "\n"
    // Nobody is left to tell when stderr refuses the message itself.
    line.withUTF8 { try? Syscall.writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0), object: "standard error") }
}
