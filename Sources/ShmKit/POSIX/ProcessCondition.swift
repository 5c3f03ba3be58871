/// What `/proc` says of a process a channel records: for `shmctl` and shmd's stuck reports,
/// which must tell a stopped client (SIGSTOP, a debugger) from a dead one.
package enum ProcessCondition: String, Sendable, Codable {
    /// It runs or sleeps: it will get to its slot.
    case alive
    /// Stopped by a signal or a tracer (state `T` or `t`): it holds what it holds until resumed.
    case stopped
    /// Gone, a zombie, or its pid now belongs to another process (another start time).
    case dead

    /// The condition of `process`, read from `/proc/PID/stat`.
    package init(of process: ProcessIdentity) {
        guard process.pid > 0, let stat = ProcessStat(pid: process.pid),
            process.startTime == 0 || stat.startTime == process.startTime
        else {
            self = .dead
            return
        }
        switch stat.state {
        case "T", "t": self = .stopped
        case "Z", "X", "x": self = .dead
        default: self = .alive
        }
    }
}
