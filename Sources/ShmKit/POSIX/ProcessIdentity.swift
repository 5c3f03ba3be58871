#if canImport(Glibc)
import Glibc
#endif

/// A process as it can be recognised later: pid plus its start time, so that a recycled pid is
/// never mistaken for the process that registered.
public struct ProcessIdentity: Equatable, Sendable {
    /// The process ID.
    public let pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks after boot when the process started.
    public let startTime: UInt64

    /// The process `pid` that started `startTime` clock ticks after boot (field 22 of
    /// /proc/PID/stat). A start time of 0 stands for any process with that pid (see ``isAlive``).
    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process: `getpid(2)` and its start time from /proc/PID/stat (0 when /proc cannot be
    /// read).
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: startTime(of: pid) ?? 0)
    }

    /// Whether this exact process still runs (same pid and same start time).
    ///
    /// Asks `kill(2)` with signal 0 (`ESRCH`: no such process), then compares the start time in
    /// /proc/PID/stat; a process whose /proc entry cannot be read counts as gone.
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
