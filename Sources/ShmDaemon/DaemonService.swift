import Foundation
import Logging
import ServiceLifecycle
import ShmKit
import UnixSignals

/// The daemon as a swift-service-lifecycle `Service`: creates the channels, tells systemd it is
/// ready, then runs one loop that feeds the watchdog, watches for dead clients, keeps `STATUS=`
/// current and reloads the config on SIGHUP; on graceful shutdown (SIGTERM, SIGINT) it closes
/// and unlinks everything.
///
/// Everything that touches the channels after start happens in that one loop, one event at a
/// time, so a reload never races a status refresh. And because the watchdog is pinged from the
/// same loop, a loop that hangs stops the pings and systemd kills and restarts the daemon.
///
/// `@unchecked Sendable` (swift-service-lifecycle requires `Sendable`): every stored property
/// is a constant, and the one that is not thread-safe, `registry`, is used only inside `run()`,
/// which the service group calls once and which handles one event at a time (above).
package final class DaemonService: Service, @unchecked Sendable {
    private let config: DaemonConfig
    private let source: ConfigSource
    private let registry: ChannelRegistry
    private let notifier: SystemdNotifier
    private let logger: Logger

    /// - Parameter source: where `config` was read, read again on every SIGHUP.
    package init(config: DaemonConfig, source: ConfigSource, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.config = config
        self.source = source
        self.logger = logger
        self.notifier = notifier
        self.registry = ChannelRegistry(prefix: config.prefix, logger: logger)
    }

    private enum Event: Sendable {
        case tick
        case reload
    }

    /// Runs until graceful shutdown.
    ///
    /// - Throws: `DaemonError` when the channels cannot be created; nothing is left behind then.
    package func run() async throws {
        // First of all: SIGHUP's default action ends the process, and systemd may send it as
        // soon as the unit is active.
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        try SharedMemoryPreflight.check(needed: config.sharedMemoryBytes)
        try registry.createAll(config.channels, requireAll: config.requireAllChannels)
        // Only now do the objects exist: systemd lets `systemctl start` return on READY=1.
        let readyStatus = registry.status
        notifier.ready(status: readyStatus)
        logger.notice("ready: \(readyStatus)", metadata: ["event": "ready"])
        writeRecord(ReloadRecord(count: 0, outcome: .started, message: "started"))

        _ = await cancelWhenGracefulShutdown { [self] in
            await serve(hangups: hangups, status: readyStatus)
        }

        notifier.stopping(status: "stopping: closing \(registry.channels.count) channels")
        logger.notice("stopping: closing channels and waking their clients", metadata: ["event": "stopping"])
        // One last sweep before closing: a writer killed since the last one leaves a claimed
        // slot that closing readers would stop at, losing every message committed behind it.
        ClientWatch(logger: logger).sweep(registry.channels)
        registry.removeAll()
        logger.notice("stopped", metadata: ["event": "stopped"])
    }

    /// The loop: one event at a time until graceful shutdown cancels it.
    private func serve(hangups: UnixSignalsSequence, status readyStatus: String) async {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(8))
        let signalTask = Task {
            for await _ in hangups { continuation.yield(.reload) }
        }
        let pingInterval = notifier.watchdogPingInterval
        var sweep = config.sweepInterval
        var ticker = Self.ticker(every: Self.tick(sweep: sweep, ping: pingInterval), continuation)
        defer {
            ticker.cancel()
            signalTask.cancel()
            continuation.finish()
        }
        let reloader = ConfigReloader(source: source, registry: registry, sweepInterval: sweep, logger: logger)
        let clients = ClientWatch(logger: logger)
        let wakeups = WakeupFailureWatch(logger: logger)
        let stuck = StuckWatch(logger: logger)
        var record = ReloadRecord(count: 0, outcome: .started, message: "started")
        var lastPing = ContinuousClock.now
        var status = readyStatus

        for await event in events {
            if case .reload = event {
                notifier.reloading()
                let result = reloader.reload()
                record = ReloadRecord(count: record.count + 1, outcome: result.outcome, message: result.message)
                lookAtChannels(clients, wakeups, stuck)
                status = statusLine(record: record, stuck: stuck)
                // READY=1 ends the reload for systemd, whatever its outcome: the daemon runs on.
                notifier.ready(status: status)
                writeRecord(record)
                if let newSweep = result.sweepInterval, newSweep != sweep {
                    sweep = newSweep
                    ticker.cancel()
                    ticker = Self.ticker(every: Self.tick(sweep: sweep, ping: pingInterval), continuation)
                }
            }
            if let pingInterval, ContinuousClock.now - lastPing >= .seconds(pingInterval - Self.tick(sweep: sweep, ping: pingInterval)) {
                notifier.watchdog()
                lastPing = .now
            }
            lookAtChannels(clients, wakeups, stuck)
            let now = statusLine(record: record, stuck: stuck)
            if now != status {
                notifier.status(now)
                status = now
            }
        }
    }

    /// One look at the channels: damaged ones replaced first, then the dead clients of the rest
    /// repaired (`ClientWatch.sweep`), then the live ones that hold a slot too long reported.
    private func lookAtChannels(_ clients: ClientWatch, _ wakeups: WakeupFailureWatch, _ stuck: StuckWatch) {
        registry.replaceDamaged()
        clients.sweep(registry.channels)
        wakeups.sweep(registry.channels)
        stuck.sweep(registry.channels)
    }

    private func statusLine(record: ReloadRecord, stuck: StuckWatch) -> String {
        registry.status + (stuck.statusSummary.map { "; " + $0 } ?? "")
            + (record.count > 0 ? "; last reload: \(record.outcome.rawValue)" : "")
    }

    /// The loop's period: the sweep interval, or half the watchdog's ping interval (itself half
    /// of `WATCHDOG_USEC`) when that is shorter. A ping is sent on the first tick at least
    /// `ping - tick` after the last one, so pings are never more than `ping` apart.
    private static func tick(sweep: Double, ping: Double?) -> Double {
        min(sweep, ping.map { $0 / 2 } ?? sweep)
    }

    private static func ticker(every seconds: Double, _ continuation: AsyncStream<Event>.Continuation) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(seconds))
                continuation.yield(.tick)
            }
        }
    }

    private func writeRecord(_ record: ReloadRecord) {
        guard let directory = ReloadRecord.directory else { return }
        do {
            try record.write(to: directory)
        } catch {
            logger.warning(
                "cannot write the reload record in \(directory): \(error); `shmd --reload` will time out",
                metadata: ["event": "reload-record"])
        }
    }
}
