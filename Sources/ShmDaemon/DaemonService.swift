import Logging
import ServiceLifecycle
import ShmKit

/// The daemon as a swift-service-lifecycle `Service`: creates the channels, tells systemd it is
/// ready, keeps the watchdog and status fed, and on graceful shutdown (SIGTERM, SIGINT) closes
/// and unlinks everything.
public final class DaemonService: Service, @unchecked Sendable {
    private let config: DaemonConfig
    private let registry: ChannelRegistry
    private let notifier: SystemdNotifier
    private let logger: Logger

    public init(config: DaemonConfig, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.config = config
        self.logger = logger
        self.notifier = notifier
        self.registry = ChannelRegistry(prefix: config.prefix, logger: logger)
    }

    /// Runs until graceful shutdown.
    ///
    /// - Throws: `DaemonError` when the channels cannot be created; nothing is left behind then.
    public func run() async throws {
        try SharedMemoryPreflight.check(needed: config.sharedMemoryBytes)
        try registry.createAll(config.channels)
        // Only now do the objects exist: systemd lets `systemctl start` return on READY=1.
        notifier.ready(status: registry.status)
        logger.notice("ready: \(registry.status)", metadata: ["event": "ready"])

        let watchdog = notifier.watchdogPingInterval
        let tick = min(config.sweepInterval, watchdog ?? config.sweepInterval)
        let readyStatus = registry.status
        try? await cancelWhenGracefulShutdown { [registry, notifier] in
            var status = readyStatus
            while true {
                try await Task.sleep(nanoseconds: UInt64(tick * 1_000_000_000))
                if watchdog != nil { notifier.watchdog() }
                let now = registry.status
                if now != status {
                    notifier.status(now)
                    status = now
                }
            }
        }

        notifier.stopping(status: "stopping: closing \(registry.channels.count) channels")
        logger.notice("stopping: closing channels and waking their clients", metadata: ["event": "stopping"])
        registry.removeAll()
        logger.notice("stopped", metadata: ["event": "stopped"])
    }
}
