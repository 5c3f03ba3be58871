/// A process's `/proc/PID/stat` line, parsed once and read by field number with bounds checks:
/// the one parser of that file in the package (shmd's liveness checks, shm-bench's CPU use).
///
/// The command name (field 2) is in parentheses and may itself contain spaces and `)`, so the
/// fields after it are counted from the last `)` of the line.
package struct ProcessStat: Sendable {
    /// Fields 3 and on, as proc(5) numbers them from 1.
    private let rest: [Substring]

    /// Parses `text`, the contents of a stat file.
    ///
    /// - Returns: `nil` when it is not a stat line (no `)`).
    package init?(_ text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    /// Reads and parses `/proc/PID/stat`.
    ///
    /// - Returns: `nil` when there is no such process (or its file cannot be read).
    package init?(pid: Int32) {
        guard let text = Syscall.readSmallFile("/proc/\(pid)/stat") else { return nil }
        self.init(text)
    }

    /// Field `number` as proc(5) numbers it (3 is the state), or `nil` when the line is shorter.
    package func field(_ number: Int) -> Substring? {
        let index = number - 3
        guard index >= 0, index < rest.count else { return nil }
        return rest[index]
    }

    /// Field 3: `R` running, `S` sleeping, `T` stopped, `Z` zombie, and so on.
    package var state: Character? { field(3)?.first }

    /// Fields 14 and 15: clock ticks spent in user and kernel mode.
    package var cpuTicks: UInt64? {
        guard let user = field(14).flatMap({ UInt64($0) }), let system = field(15).flatMap({ UInt64($0) }) else { return nil }
        return user + system
    }

    /// Field 22: clock ticks after boot when the process started.
    package var startTime: UInt64? { field(22).flatMap { UInt64($0) } }
}
