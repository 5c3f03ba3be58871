import ArgumentParser
import ShmKit

/// The options every client command takes to find a channel and bound its waits: the channel's
/// name, `--prefix`, `--wait` and `--timeout`. Declared once, used with `@OptionGroup`.
package struct ChannelOptions: ParsableArguments {
    @Argument(help: "The channel's name, as in shmd.toml.")
    package var name: String

    @Option(help: "The object-name prefix shmd uses ([daemon] prefix).")
    package var prefix = ChannelNames.defaultPrefix

    @Option(help: "Seconds to wait at most for each message or free slot (default: as long as the channel is open).")
    package var timeout: Double?

    @Option(help: "Seconds to wait for shmd to create the channel (default: 0, fail at once).")
    package var wait: Double?

    package init() {}

    package func validate() throws {
        for (value, option) in [(timeout, "--timeout"), (wait, "--wait")] {
            if let problem = Self.secondsProblem(value, option: option) { throw ValidationError(problem) }
        }
    }

    /// What is wrong with `seconds` given for the command-line option `option`, or `nil` when
    /// it is a number of seconds, 0 or more. The commands refuse +inf as well as nan and
    /// negative values, which the library refuses (`ChannelError.invalidArgument`): a typed
    /// "inf" is more often a script's variable gone wrong than a wish, and leaving `--timeout`
    /// out already waits as long as the channel is open.
    package static func secondsProblem(_ seconds: Double?, option: String) -> String? {
        guard let seconds, !(seconds.isFinite && seconds >= 0) else { return nil }
        return "\(option) must be a finite number of seconds, 0 or more, not \(seconds)"
    }
}
