import CShim

#if canImport(Glibc)
import Glibc
#endif

/// Spaces a writer's messages evenly at a fixed rate: the light, steady load of a paced run,
/// where what a transport costs is the CPU its processes burn while they wait.
///
/// Each message has an absolute due time, `start + n / rate`, so a late wake-up is caught up by
/// sending at once rather than drifting; the writer sleeps (it never spins), and its timer slack
/// is 1 ns so that a sleep ends when it was asked to, not up to 50 µs later.
struct Pacer {
    private let start: UInt64
    private let interval: Double

    /// - Parameter rate: messages per second, more than 0.
    init(rate: UInt64) {
        _ = cshim_set_timer_slack(1)
        interval = 1e9 / Double(rate)
        start = now()
    }

    /// Sleeps until message `index` is due (at once if it already is).
    func wait(for index: UInt64) {
        let due = start + UInt64(Double(index) * interval)
        guard due > now() else { return }
        var time = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
        // EINTR only shortens a sleep; the next call sleeps the rest.
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
    }
}
