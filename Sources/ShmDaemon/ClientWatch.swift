import Logging
import ShmHost
import ShmKit

/// Notices registered clients that died without detaching (killed, crashed), repairs what they
/// held on ring channels (`HostedChannel.repairDeadClients`: slots abandoned, messages put back,
/// waiter counts taken back, the entry freed) and logs each one once, as a warning with
/// `SHMD_CHANNEL`, `SHMD_CLIENT_PID` and `SHMD_ROLE`. On a seed channel it only frees the entry:
/// the seed's protocol leaves nothing shmd could safely repair.
///
/// Not thread-safe: the daemon's loop is its only user.
final class ClientWatch {
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Looks at every client of `channels` once.
    func sweep(_ channels: [HostedChannel]) {
        for channel in channels {
            for repair in channel.repairDeadClients() {
                let record = repair.record
                var what: [String] = []
                if repair.abandoned > 0 { what.append("abandoned \(repair.abandoned) slot(s) it was writing") }
                if repair.redelivered > 0 { what.append("put back \(repair.redelivered) message(s) it was reading") }
                if repair.wasWaiting { what.append("it was asleep") }
                let repaired = what.isEmpty ? "" : "; " + what.joined(separator: ", ")
                logger.warning(
                    "client died: \(record.role) pid \(record.process.pid) of channel \(channel.spec.name) exited without detaching\(repaired)",
                    metadata: [
                        "channel": "\(channel.spec.name)", "event": "client-died",
                        "client_pid": "\(record.process.pid)", "role": "\(record.role)",
                        "abandoned": "\(repair.abandoned)", "redelivered": "\(repair.redelivered)",
                    ])
            }
        }
    }
}
