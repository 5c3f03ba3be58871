#if canImport(Glibc)
import Glibc
#endif

/// Where shmd's log lines go: the native journal when stderr *is* the journal stream systemd
/// gave us, plain stderr otherwise.
///
/// `sd_journal_sendv` reports success even when no journald listens, so the choice cannot be
/// made by trying; systemd documents `JOURNAL_STREAM=DEV:INODE` for exactly this check.
package enum LogSink: Sendable, Equatable {
    case journal
    case stderr

    /// Picks the sink from `JOURNAL_STREAM` and `fstat(2)` of stderr.
    package static func detect() -> LogSink {
        detect(journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) }, descriptor: STDERR_FILENO)
    }

    /// `.journal` when `journalStream` (`DEV:INODE`) names the file open on `descriptor`.
    static func detect(journalStream: String?, descriptor: Int32) -> LogSink {
        guard let value = journalStream else { return .stderr }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .stderr }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .stderr }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode ? .journal : .stderr
    }
}
