import ShmKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open files, `RLIMIT_NOFILE`.
///
/// Every ring channel keeps its segment's descriptor open for the daemon's lifetime (a seed
/// channel two), so a config of a few thousand channels does not fit under the usual soft limit
/// of 1024. The soft limit exists for programs that still use `select(2)`, which shmd does not
/// (and it starts no children to pass a raised limit to), so shmd raises it to the hard limit at
/// start, as systemd.exec(5) recommends; only the hard limit, set by `LimitNOFILE=` or
/// `ulimit -Hn`, really bounds a config.
package struct FileDescriptorLimit: Equatable, Sendable {
    /// What the process may have open now.
    package var soft: Int
    /// What an unprivileged process may raise `soft` to.
    package var hard: Int

    package init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }

    /// The limit now.
    ///
    /// - Throws: `SystemCallError` from `getrlimit`.
    package static func current() throws -> FileDescriptorLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw SystemCallError(call: "getrlimit", object: "RLIMIT_NOFILE", errno: Errno(rawValue: errno))
        }
        return FileDescriptorLimit(soft: Self.count(limit.rlim_cur), hard: Self.count(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit, which needs no privilege (glibc does it with
    /// `prlimit64`, which the unit's `SystemCallFilter=` allows).
    ///
    /// - Returns: the limit afterwards.
    /// - Throws: `SystemCallError` from `getrlimit` or `setrlimit`; the limit is unchanged then.
    @discardableResult
    package static func raiseSoftToHard() throws -> FileDescriptorLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw SystemCallError(call: "getrlimit", object: "RLIMIT_NOFILE", errno: Errno(rawValue: errno))
        }
        if limit.rlim_cur != limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
                throw SystemCallError(call: "setrlimit", object: "RLIMIT_NOFILE", errno: Errno(rawValue: errno))
            }
        }
        return FileDescriptorLimit(soft: Self.count(limit.rlim_cur), hard: Self.count(limit.rlim_max))
    }

    private static func count(_ value: rlim_t) -> Int {
        // RLIM_INFINITY is all ones, which Swift cannot import as a constant; it is above Int.max.
        value > rlim_t(Int.max) ? Int.max : Int(value)
    }
}
