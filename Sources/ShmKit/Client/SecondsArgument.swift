/// Seconds a caller gives for a `timeout:` or a `wait:`, checked before they become a `Deadline`.
///
/// nan and negative values are refused rather than given a meaning: both are mistakes (a
/// computation gone wrong, a sign lost), and waiting "0 seconds" for them would hide that. +inf
/// is a number of seconds, the largest one: no limit (`Deadline.after` gives no deadline for it).
package enum SecondsArgument {
    /// Checks `seconds` given for `argument` on channel `channel`; `nil` (no limit) passes.
    ///
    /// - Throws: `ChannelError.invalidArgument` for nan and negative values.
    @inline(__always)
    package static func check(_ seconds: Double?, argument: String, channel: String) throws {
        // One comparison on the path of every message: false for nan as for negative values.
        if let seconds, !(seconds >= 0) {
            throw ChannelError.invalidArgument(channel: channel, argument: argument, value: seconds)
        }
    }

    /// `duration` in seconds, for the checks and the deadline; `nil` stays `nil` (no limit).
    /// A negative duration stays negative, so that `check` refuses it by its value.
    @inline(__always)
    package static func seconds(_ duration: Duration?) -> Double? {
        guard let duration else { return nil }
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
