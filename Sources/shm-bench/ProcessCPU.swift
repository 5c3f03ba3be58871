import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The CPU time of a process in nanoseconds, from the two places Linux gives it at that
/// resolution: the scheduler's runtime of each of its threads while it runs, and wait4's rusage
/// once it has exited.
///
/// The two agree: the kernel scales rusage's user and system times so that their sum is the
/// scheduler's runtime (`task_cputime_adjusted`), so the difference between a reading of each is
/// the CPU time used in between, to the microsecond.
enum ProcessCPU {
    /// The sum of the first field of `/proc/PID/task/*/schedstat` (ns on the CPU), or nil when
    /// the process is gone.
    static func nanoseconds(of pid: pid_t) -> UInt64? {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        return threads.reduce(0) { total, thread in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8)) ?? ""
            return total + (text.split(separator: " ").first.flatMap { UInt64($0) } ?? 0)
        }
    }

    /// User plus system time of `usage`, in ns.
    static func nanoseconds(_ usage: rusage) -> UInt64 {
        func nanoseconds(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }
}
