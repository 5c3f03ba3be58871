import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// Whether the shmd a header names as its owner is proven gone, by the rules shmd itself uses
/// before it adopts a channel: its boot, its pid, and that pid's start time.
package enum DaemonLiveness: Equatable, Sendable {
    /// It runs, or it cannot be proven not to (its pid exists and its start time cannot be read).
    case alive
    /// Proven gone, and why.
    case gone(String)

    package init(of header: ChannelHeader) {
        let pid = header.daemonPid
        guard header.bootID == BootID.current else {
            self = .gone("its shmd (pid \(pid)) ran in an earlier boot")
            return
        }
        guard pid > 0 else {
            self = .gone("it names no shmd")
            return
        }
        if kill(pid, 0) != 0 && errno == ESRCH {
            self = .gone("its shmd (pid \(pid)) is gone")
            return
        }
        // The pid exists: it is the same process only with the same start time. A start time
        // that cannot be read proves nothing, so the channel counts as live.
        guard let started = ProcessIdentity.startTime(of: pid) else {
            self = .alive
            return
        }
        self = started == header.daemonStart ? .alive : .gone("its shmd (pid \(pid)) is gone; the pid is another process's now")
    }
}
