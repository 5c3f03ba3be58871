import Atomics
import Logging
import ShmDaemon
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// What a running bridge shares between its two ends: its config, log, counters, the link's
/// state (logged once per change), systemd's notifications and watchdog, and the stop request.
///
/// Not `Sendable` as a whole: the bridge loop owns it. What libnats's threads reach (the link
/// state, through `linkEvent`) is behind a lock of its own.
package final class BridgeRuntime {
    package let config: BridgeConfig
    package let logger: Logger
    package var counters = BridgeCounters()
    private let notifier = SystemdNotifier()
    private let watchdogInterval: Double?
    private var nextWatchdog: Double = 0
    private var nextStatus: Double = 0
    private var announcedReady = false
    private let link: LinkState

    /// Set by SIGTERM and SIGINT.
    package static let stopRequested = ManagedAtomic<Bool>(false)

    package init(config: BridgeConfig, logger: Logger) {
        self.config = config
        var logger = logger
        logger[metadataKey: "bridge"] = "\(config.name)"
        self.logger = logger
        watchdogInterval = notifier.watchdogPingInterval
        link = LinkState(logger: logger)
    }

    /// Whether the bridge should stop (a termination signal came).
    package var stopping: Bool { Self.stopRequested.load(ordering: .relaxed) }

    /// Logs `message` with `event` (journal field `SHMD_EVENT`) only when the state it
    /// describes differs from the last one logged; see `LinkState`.
    package func state(_ state: String, _ message: @autoclosure () -> String, level: Logger.Level = .notice) {
        link.change(to: state, message(), level: level)
    }

    /// For libnats's callbacks (any thread).
    package var linkEvents: @Sendable (NatsConnectionEvent) -> Void {
        let link = self.link
        return { event in
            switch event {
            case .disconnected:
                // At a stop the bridge closes the connection itself: no loss, and no reconnecting.
                guard !BridgeRuntime.stopRequested.load(ordering: .relaxed) else { return }
                link.change(to: "disconnected", "lost the connection to NATS: reconnecting with backoff", level: .warning)
            case let .reconnected(server):
                link.countReconnect()
                link.change(to: "connected", "reconnected to NATS at \(server)", level: .notice)
            case .closed:
                guard !BridgeRuntime.stopRequested.load(ordering: .relaxed) else { return }
                link.change(to: "closed", "the NATS connection is closed", level: .notice)
            }
        }
    }

    /// `READY=1` once both ends are attached; later calls refresh `STATUS=`.
    package func ready(_ status: String) {
        if !announcedReady {
            announcedReady = true
            notifier.ready(status: status)
            logger.notice("ready: \(status)", metadata: ["event": "ready"])
        } else {
            notifier.status(status)
        }
    }

    /// Pings the watchdog and rewrites the status file when they are due: call it often (at
    /// least every watchdog interval) from the bridge loop, which is what the watchdog watches.
    package func tick() {
        let now = Self.monotonicSeconds()
        if let watchdogInterval, now >= nextWatchdog {
            notifier.watchdog()
            nextWatchdog = now + watchdogInterval
        }
        if now >= nextStatus {
            nextStatus = now + 1
            writeStatus()
        }
    }

    /// Rewrites the status file now.
    package func writeStatus() {
        counters.reconnects = link.reconnects
        do {
            try counters.write(folder: config.statusDirectory, name: config.name, direction: config.direction, state: link.current)
        } catch {
            state("status-file-failed", "cannot write the status file in \(config.statusDirectory): \(error)", level: .warning)
        }
    }

    /// `STOPPING=1`, a log line, and a last status file (state `stopped`).
    package func stopped() {
        notifier.stopping(status: "stopping")
        state(
            "stopped",
            "stopped: forwarded \(counters.forwarded), duplicates dropped \(counters.duplicatesDropped), dead-lettered \(counters.deadLettered)")
        writeStatus()
    }

    /// Sleeps `milliseconds`, in slices, pinging the watchdog; returns early when stopping.
    package func pause(milliseconds: Int64) {
        let end = Self.monotonicSeconds() + Double(milliseconds) / 1000
        while !stopping && Self.monotonicSeconds() < end {
            tick()
            usleep(UInt32(min(50_000, max(1000, (end - Self.monotonicSeconds()) * 1e6))))
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
