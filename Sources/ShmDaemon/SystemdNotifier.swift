import CSystemd
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// shmd's side of sd_notify(3): readiness, status, reload, stop and watchdog messages to the
/// service manager. Without `NOTIFY_SOCKET` every call does nothing.
package struct SystemdNotifier: Sendable {
    package init() {}

    /// Whether a service manager listens.
    package var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// `READY=1` with a status line: only once every channel exists.
    package func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// A new `STATUS=` line for `systemctl status`.
    package func status(_ status: String) { send("STATUS=\(status)") }

    /// `RELOADING=1` with the monotonic time systemd ≥ 253 expects alongside it.
    package func reloading() {
        let microseconds = SystemClock.monotonicNanoseconds() / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }

    /// `STOPPING=1`, first thing on SIGTERM/SIGINT.
    package func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }

    /// One watchdog keep-alive.
    package func watchdog() { send("WATCHDOG=1") }

    /// Half the watchdog period systemd asked for (`WATCHDOG_USEC`), in seconds; `nil` when no
    /// watchdog is armed for this process.
    package var watchdogPingInterval: Double? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return Double(microseconds) / 2_000_000
    }

    private func send(_ state: String) {
        guard isEnabled else { return }
        _ = sd_notify(0, state)
    }
}
