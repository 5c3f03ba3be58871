import Logging
import ShmHost
import ShmKit

/// Carries out a reload (SIGHUP, `systemctl reload shmd`): reads the config from the source the
/// daemon was started with, compares it with the running channels (`ReloadPlan`) and applies
/// what can be applied to a live system. An invalid file changes nothing.
///
/// Not thread-safe: the daemon's loop is its only user.
final class ConfigReloader {
    /// What a reload did.
    struct Result {
        var outcome: ReloadRecord.Outcome
        /// One line for the journal, `STATUS=` and `systemctl reload`.
        var message: String
        /// The new `sweep-interval`, when the reload was applied and it changed.
        var sweepInterval: Double?
    }

    private let source: ConfigSource
    private let registry: ChannelRegistry
    private let logger: Logger
    private var sweepInterval: Double

    init(source: ConfigSource, registry: ChannelRegistry, sweepInterval: Double, logger: Logger) {
        self.source = source
        self.registry = registry
        self.sweepInterval = sweepInterval
        self.logger = logger
    }

    func reload() -> Result {
        let loaded: ConfigSource.Loaded
        do {
            loaded = try source.load()
        } catch let error as ConfigError {
            let message = "reload failed: \(error); keeping the running configuration (\(registry.channels.count) channels)"
            logger.error("\(message)", metadata: ["event": "reload-failed", "file": "\(error.file)"])
            return Result(outcome: .failed, message: message)
        } catch {
            let message = "reload failed: \(error); keeping the running configuration"
            logger.error("\(message)", metadata: ["event": "reload-failed"])
            return Result(outcome: .failed, message: message)
        }
        logger.notice("reloading: read \(loaded.origin)", metadata: ["event": "reloading", "file": "\(loaded.origin)"])
        WorldAccessWarning.log(loaded.config, to: logger)

        let plan = ReloadPlan.make(running: registry.specs, prefix: registry.prefix, new: loaded.config)
        for refusal in plan.refused {
            var metadata: Logger.Metadata = ["event": "reload-refused", "file": "\(loaded.origin)"]
            if !refusal.channel.isEmpty { metadata["channel"] = "\(refusal.channel)" }
            logger.warning("reload refused a change: \(refusal.reason)", metadata: metadata)
        }
        if loaded.config.prefix != registry.prefix {
            return Result(outcome: .failed, message: "reload refused: \(plan.refused.first?.reason ?? "prefix changed")")
        }

        registry.forgetFailures(except: Set(loaded.config.channels.map(\.name)))
        var failures = 0
        for name in plan.removed {
            registry.remove(named: name)
        }
        for spec in plan.permissionChanges {
            do {
                try registry.updatePermissions(spec)
            } catch {
                failures += 1
                logger.error(
                    "cannot change the permissions of channel \(spec.name): \(error)",
                    metadata: ["channel": "\(spec.name)", "event": "reload-failed"])
            }
        }
        failures += add(plan.added)

        var changedSweep: Double?
        if loaded.config.sweepInterval != sweepInterval {
            sweepInterval = loaded.config.sweepInterval
            changedSweep = sweepInterval
        }
        let complete = plan.isComplete && failures == 0
        let message = "reloaded \(loaded.origin): \(plan.summary)" + (failures > 0 ? ", \(failures) failed" : "")
        if complete {
            logger.notice("\(message)", metadata: ["event": "reloaded", "file": "\(loaded.origin)"])
        } else {
            logger.warning(
                "\(message); the running channels differ from the file, see the lines above",
                metadata: ["event": "reloaded", "file": "\(loaded.origin)"])
        }
        return Result(outcome: complete ? .applied : .partial, message: message, sweepInterval: changedSweep)
    }

    /// Creates the new channels after checking that /dev/shm can hold them all.
    ///
    /// - Returns: how many could not be created (each logged as an error).
    private func add(_ specs: [ChannelSpec]) -> Int {
        guard !specs.isEmpty else { return 0 }
        do {
            try SharedMemoryPreflight.check(needed: DaemonConfig(channels: specs).sharedMemoryBytes)
        } catch {
            for spec in specs {
                logger.error("cannot add channel \(spec.name): \(error)", metadata: ["channel": "\(spec.name)", "event": "reload-failed"])
            }
            return specs.count
        }
        var failures = 0
        for spec in specs {
            do {
                try registry.add(spec)
            } catch {
                failures += 1
                logger.error("cannot add channel \(spec.name): \(error)", metadata: ["channel": "\(spec.name)", "event": "reload-failed"])
            }
        }
        return failures
    }
}
