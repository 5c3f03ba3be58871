#if canImport(Glibc)
import Glibc
#endif

/// A point in time on `CLOCK_MONOTONIC`, the clock every blocking wait in ShmKit is measured on,
/// so that setting the wall clock never shortens or stretches a timeout.
package struct Deadline: Comparable, Sendable {
    /// Nanoseconds since an arbitrary start (boot), as `clock_gettime(CLOCK_MONOTONIC)` gives them.
    package let nanoseconds: UInt64

    package init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current monotonic time.
    package static var now: Deadline { Deadline(nanoseconds: monotonicNanoseconds()) }

    /// The longest delay a deadline is set at: 10^9 s (about 31 years), in effect never, and far
    /// enough from `UInt64.max` nanoseconds that adding it to the clock cannot wrap.
    package static let longestDelay: Double = 1e9

    /// The deadline `seconds` from now; `nil` seconds, and +inf, mean "never" (`nil`).
    ///
    /// Defined for every `Double`, so that no value can trap here: 0, negative values and nan
    /// are *now* (a deadline already passed, the one reading that can never block by mistake);
    /// anything finite beyond `longestDelay` is `longestDelay` away. +inf is no deadline at all
    /// rather than a far one: it is how C and Python say "no limit" on every call, and a
    /// deadline costs a clock read (about 25 ns) on each, twice on each side of a round trip. Values a caller typed
    /// are checked before they get here: the public APIs that take `timeout:` or `wait:`
    /// refuse nan and negative values with `ChannelError.invalidArgument` and read +inf as no
    /// limit.
    package static func after(seconds: Double?) -> Deadline? {
        guard let seconds, seconds != .infinity else { return nil }
        // `seconds > 0` is false for nan, which `UInt64(_:)` would trap on.
        let delta = seconds > 0 ? UInt64(min(seconds, longestDelay) * 1e9) : 0
        return Deadline(nanoseconds: monotonicNanoseconds() &+ delta)
    }

    /// `self` moved later by `nanoseconds`.
    package func adding(nanoseconds delta: UInt64) -> Deadline {
        Deadline(nanoseconds: nanoseconds &+ delta)
    }

    /// Seconds until the deadline, 0 once it passed.
    package var secondsLeft: Double {
        let now = Deadline.monotonicNanoseconds()
        return nanoseconds > now ? Double(nanoseconds - now) / 1e9 : 0
    }

    package var hasPassed: Bool { Deadline.monotonicNanoseconds() >= nanoseconds }

    package static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The earlier of `self` and `other` (a `nil` other is "never").
    package func earlier(than other: Deadline?) -> Deadline {
        guard let other else { return self }
        return min(self, other)
    }

    var timespec: timespec {
        Glibc.timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }

    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 { SystemClock.monotonicNanoseconds() }
}
