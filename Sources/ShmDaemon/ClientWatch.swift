import Logging
import ShmKit

/// Notices registered clients that died without detaching (killed, crashed) and logs each one
/// once, as a warning with `SHMD_CHANNEL`, `SHMD_CLIENT_PID` and `SHMD_ROLE`.
///
/// It only reports: the dead client's entry and anything it held stay as they are (repairing
/// them is another part's job). A record that disappears is forgotten, so a later client in the
/// same entry is reported again if it dies too.
///
/// Not thread-safe: the daemon's loop is its only user.
final class ClientWatch {
    private struct Key: Hashable {
        let channel: String
        let slot: Int
        let pid: Int32
        let startTime: UInt64
    }

    private var reported: Set<Key> = []
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Looks at every client of `channels` once.
    ///
    /// - Returns: how many registered clients are dead now, reported earlier or just now.
    @discardableResult
    func sweep(_ channels: [HostedChannel]) -> Int {
        var present: Set<Key> = []
        for channel in channels {
            for record in channel.clients where !record.process.isAlive {
                let key = Key(channel: channel.spec.name, slot: record.slot,
                              pid: record.process.pid, startTime: record.process.startTime)
                present.insert(key)
                if reported.contains(key) { continue }
                logger.warning(
                    "client died: \(record.role) pid \(record.process.pid) of channel \(channel.spec.name) exited without detaching",
                    metadata: [
                        "channel": "\(channel.spec.name)", "event": "client-died",
                        "client_pid": "\(record.process.pid)", "role": "\(record.role)",
                    ])
            }
        }
        reported = present
        return present.count
    }
}

