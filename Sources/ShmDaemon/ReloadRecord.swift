import Foundation

/// The outcome of the daemon's latest reload, kept in a file of the unit's runtime directory
/// (`RuntimeDirectory=shmd`, so `$RUNTIME_DIRECTORY/reload`), one line: `COUNT OUTCOME MESSAGE`.
///
/// systemd 252 ends `systemctl reload` as soon as `ExecReload=` exits, whatever the service says
/// afterwards with `RELOADING=1` and `READY=1`. So the unit's `ExecReload=` is `shmd --reload
/// $MAINPID`, which sends SIGHUP and waits for this file's count to move: `systemctl reload`
/// returns once the reload is done, and fails when the new config was refused.
package struct ReloadRecord: Equatable, Sendable {
    package enum Outcome: String, Sendable {
        /// The daemon started; no reload yet.
        case started
        /// The running channels match the new config.
        case applied
        /// Some changes were made, some refused or failed: the journal says which.
        case partial
        /// Nothing changed: the new config is invalid, or changes the prefix.
        case failed
    }

    /// Reloads completed since the daemon started.
    package var count: UInt64
    package var outcome: Outcome
    /// What a person needs to know, on one line.
    package var message: String

    package init(count: UInt64, outcome: Outcome, message: String) {
        self.count = count
        self.outcome = outcome
        self.message = message
    }

    /// The directory systemd made for the unit (the first of `$RUNTIME_DIRECTORY`), or `nil`
    /// when shmd runs without one (by hand, in tests): then no record is kept.
    package static var directory: String? {
        guard let value = ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"], !value.isEmpty else { return nil }
        return value.split(separator: ":").first.map(String.init)
    }

    static func path(in directory: String) -> String { directory + "/reload" }

    /// The record in `directory`, or `nil` when there is none or it cannot be read.
    package static func read(from directory: String) -> ReloadRecord? {
        guard let text = try? String(contentsOfFile: path(in: directory), encoding: .utf8) else { return nil }
        let parts = text.trimmingCharacters(in: .newlines).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let count = UInt64(parts[0]), let outcome = Outcome(rawValue: String(parts[1])) else { return nil }
        return ReloadRecord(count: count, outcome: outcome, message: parts.count > 2 ? String(parts[2]) : "")
    }

    /// Replaces the record in `directory` atomically (a new file renamed over the old one).
    ///
    /// - Throws: what writing the file throws (the directory is missing or read-only).
    package func write(to directory: String) throws {
        let line = "\(count) \(outcome.rawValue) \(message.replacingOccurrences(of: "\n", with: " "))\n"
        try line.write(toFile: Self.path(in: directory), atomically: true, encoding: .utf8)
    }
}
