#if canImport(Glibc)
import Glibc
#endif

/// A process as it can be recognised later: pid plus its start time, so that a recycled pid is
/// never mistaken for the process that registered.
public struct ProcessIdentity: Equatable, Sendable {
    public let pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks after boot when the process started.
    public let startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: startTime(of: pid) ?? 0)
    }

    /// Whether this exact process still runs (same pid and same start time).
    public var isAlive: Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let now = Self.startTime(of: pid) else { return false }
        return startTime == 0 || now == startTime
    }

    /// The start time of `pid` from /proc, or `nil` when it does not exist.
    package static func startTime(of pid: Int32) -> UInt64? {
        ProcessStat(pid: pid)?.startTime
    }
}
