import Logging
import ShmHost
import ShmKit

/// Logs, once each time it grows, the count of failed wake-ups (`sem_post`) a channel's header
/// keeps (`ChannelHeader.failedWakeups`): clients and shmd count them instead of throwing,
/// since what a wake-up announces is already in the ring. A growing count means one of the
/// channel's semaphores was damaged or removed under its users.
///
/// Not thread-safe: the daemon's loop is its only user.
final class WakeupFailureWatch {
    private let logger: Logger
    /// The count last logged, by channel name and generation.
    private var logged: [String: (generation: UInt64, count: UInt64)] = [:]

    init(logger: Logger) {
        self.logger = logger
    }

    /// Looks at every channel of `channels` once.
    func sweep(_ channels: [HostedChannel]) {
        for channel in channels {
            let count = channel.header.failedWakeups.load(ordering: .relaxed)
            let name = channel.spec.name
            let previous = logged[name].flatMap { $0.generation == channel.generation ? $0.count : nil } ?? 0
            logged[name] = (channel.generation, count)
            guard count > previous else { continue }
            let message =
                "channel \(name): \(count - previous) wake-up(s) failed (sem_post), \(count) in all: one of its "
                + "semaphores was damaged or removed (`ls -l /dev/shm`); waiters still look again every 200 ms, so messages "
                + "are late, not lost"
            logger.warning(
                "\(message)",
                metadata: ["channel": "\(name)", "event": "wakeup-failed", "failed_wakeups": "\(count)"])
        }
        let names = Set(channels.map(\.spec.name))
        logged = logged.filter { names.contains($0.key) }
    }
}
