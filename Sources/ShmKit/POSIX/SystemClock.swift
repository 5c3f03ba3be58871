#if canImport(Glibc)
import Glibc
#endif

/// The clocks ShmKit and shmd read, in one place (`clock_gettime(2)`).
///
/// Every wait and every interval is measured on `CLOCK_MONOTONIC`, so that setting the wall
/// clock never shortens or stretches a timeout; the wall clock is read only to stamp a channel's
/// creation time for people to read.
package enum SystemClock {
    /// Nanoseconds on `CLOCK_MONOTONIC` (since boot, the time suspended excluded).
    @inline(__always)
    package static func monotonicNanoseconds() -> UInt64 {
        nanoseconds(CLOCK_MONOTONIC)
    }

    /// Nanoseconds since the Unix epoch on `CLOCK_REALTIME`.
    package static func realtimeNanoseconds() -> UInt64 {
        nanoseconds(CLOCK_REALTIME)
    }

    @inline(__always)
    private static func nanoseconds(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        // Fails only for an unknown clock id; these two exist on every Linux.
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
