import Foundation
import ShmKit

/// `shmd --reload PID`, the unit's `ExecReload=`: sends SIGHUP to the running daemon and waits
/// for its `ReloadRecord` to say the reload finished, so that `systemctl reload shmd` returns
/// only then and fails when the new config was refused (see `ReloadRecord` for why).
package enum ReloadRequest {
    /// What `shmd --reload` reports.
    package struct Answer: Equatable, Sendable {
        package var exitCode: SysExit
        /// One line for stderr (the journal, under the unit).
        package var message: String
    }

    /// Sends SIGHUP to `pid`; when a runtime directory is known, waits at most `timeout` seconds
    /// for the daemon to finish the reload.
    package static func run(pid: Int32, timeout: Double = 60, directory: String? = ReloadRecord.directory) -> Answer {
        guard pid > 0 else {
            return Answer(exitCode: .usage, message: "--reload needs the daemon's pid (systemd passes $MAINPID), not \(pid)")
        }
        let before = directory.flatMap(ReloadRecord.read(from:))
        guard kill(pid, SIGHUP) == 0 else {
            let error = String(cString: strerror(errno))
            return Answer(exitCode: .unavailable, message: "cannot send SIGHUP to shmd (pid \(pid)): \(error); is it running? systemctl status shmd")
        }
        guard let directory, let before else {
            return Answer(exitCode: .ok, message: "sent SIGHUP to shmd (pid \(pid)); no reload record to wait for: see journalctl -u shmd")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let now = ReloadRecord.read(from: directory), now.count > before.count {
                switch now.outcome {
                case .applied, .started:
                    return Answer(exitCode: .ok, message: now.message)
                case .partial, .failed:
                    return Answer(exitCode: .config, message: "\(now.message) (journalctl -u shmd says why)")
                }
            }
            usleep(10_000)
        }
        return Answer(exitCode: .temporaryFailure, message: "shmd (pid \(pid)) did not finish the reload within \(Int(timeout)) s: journalctl -u shmd")
    }
}
