import ShmKit

/// What a command's exit status means, as one table: each failure a command can meet, with
/// the sysexits(3) code it exits with. The codes of the channel failures come from
/// `ChannelError.exitCode` itself, so the help texts made from this table (`helpLine`) cannot
/// drift from what the programs do.
package struct ExitCodeTable: Sendable {
    /// One failure: what a user reads in `--help`, and the code.
    package struct Row: Sendable {
        package let code: SysExit
        package let meaning: String

        package init(_ code: SysExit, _ meaning: String) {
            self.code = code
            self.meaning = meaning
        }

        /// A row for a channel failure, its code taken from the error.
        package init(_ error: ChannelError, _ meaning: String) {
            self.init(error.exitCode, meaning)
        }
    }

    package let rows: [Row]

    package init(_ rows: [Row]) {
        self.rows = rows
    }

    /// "Exit codes: 64 usage, 65 message too large, header mismatch or damaged channel, …",
    /// each code once with its meanings, the codes in ascending order.
    package var helpLine: String {
        let codes = Set(rows.map(\.code.rawValue)).sorted()
        let parts = codes.map { code in
            let meanings = rows.filter { $0.code.rawValue == code }.map(\.meaning)
            let listed = meanings.count > 1 ? meanings.dropLast().joined(separator: ", ") + " or " + meanings.last! : meanings[0]
            return "\(code) \(listed)"
        }
        return "Exit codes: " + parts.joined(separator: ", ") + "."
    }

    // MARK: the clients' failures

    package static let usage = Row(.usage, "usage")
    package static let invalidName = Row(.invalidName(name: "", reason: ""), "invalid channel name")
    package static let messageTooLarge = Row(.messageTooLarge(channel: "", size: 0, limit: 0), "message too large")
    /// Standard input of `shm-writer --binary` ended inside a frame.
    package static let truncatedFrame = Row(.dataError, "truncated frame (--binary)")
    package static let unrepresentable = Row(.unrepresentable(channel: "", reason: ""), "message the layout cannot carry")
    package static let headerMismatch = Row(.headerMismatch(channel: "", field: "", expected: "", found: ""), "header mismatch")
    package static let damaged = Row(.corrupt(channel: "", detail: ""), "damaged channel")
    package static let notFound = Row(.notFound(channel: "", object: "", waited: 0), "no such channel")
    package static let closed = Row(.closed(channel: ""), "channel closed")
    package static let tooManyClients = Row(.tooManyClients(channel: "", limit: 0), "client table full")
    package static let system = Row(.system(channel: "", SystemCallError(call: "", object: "", errno: .ioError)), "system error")
    package static let timedOut = Row(.timedOut(channel: "", operation: "", seconds: 0), "timeout")
    package static let permissionDenied = Row(.permissionDenied(channel: "", object: ""), "permission denied")

    /// The failures of `shm-writer`.
    package static let writer = ExitCodeTable([
        usage, invalidName, messageTooLarge, unrepresentable, headerMismatch, damaged, truncatedFrame, notFound, closed,
        tooManyClients, system, timedOut, permissionDenied,
    ])

    /// The failures of `shm-reader` (a channel that closes ends it with 0, not 69).
    package static let reader = ExitCodeTable([
        usage, invalidName, headerMismatch, damaged, notFound, tooManyClients, system, timedOut, permissionDenied,
    ])
}
