#if canImport(Glibc)
import Glibc
#endif

/// How a client waits: in slices, so that it notices a channel that closed or vanished even if
/// no one posted the semaphore it sleeps on (a daemon killed with SIGKILL posts nothing).
enum SlicedWait {
    /// Longest single sleep: the bound on how late a client notices a dead channel.
    static let slice: UInt64 = 200_000_000

    enum Outcome: Equatable {
        case acquired, closed, timedOut
        case corrupt(String)
    }

    /// Takes one unit of `semaphore`, waiting until `deadline` at most.
    ///
    /// - Parameters:
    ///   - isClosing: a cheap check (a load from the header), made before the first sleep.
    ///   - isClosed: the full check, which may cost a system call, made after each slice.
    ///   - afterSlice: called each time a slice passes without a unit (see `LostUnitWatch`).
    static func acquire(
        _ semaphore: NamedSemaphore, until deadline: Deadline?,
        isClosing: () -> Bool = { false }, isClosed: () -> Bool,
        afterSlice: () throws -> Void = {}
    ) throws -> Outcome {
        if semaphore.tryWait() { return .acquired }
        if isClosing() { return .closed }
        while true {
            let now = Deadline.now
            if let deadline, now >= deadline { return .timedOut }
            if try semaphore.wait(until: now.adding(nanoseconds: slice).earlier(than: deadline)) {
                return .acquired
            }
            if isClosed() { return .closed }
            try afterSlice()
        }
    }

    /// Spins, then yields, until `condition` holds, `isClosed` says the channel is gone,
    /// `isCorrupt` says the wait can never end (what the ring holds is impossible), or `deadline`
    /// passes. For the short windows in which another client is mid-copy.
    static func until(
        _ condition: () -> Bool, deadline: Deadline?, isClosed: () -> Bool,
        isCorrupt: () -> String? = { nil }
    ) -> Outcome {
        var spins = 0
        while !condition() {
            spins += 1
            if spins < 128 { continue }
            if spins & 1023 == 0 || spins >= 20_000 {
                if isClosed() { return .closed }
                if let detail = isCorrupt() { return .corrupt(detail) }
                if let deadline, deadline.hasPassed { return .timedOut }
            }
            // Normally the other client is a copy away; one that stalls (or a ticket claimed
            // ahead of its message, see `LostUnitWatch`) is waited for asleep, not spinning.
            if spins < 20_000 { sched_yield() } else { usleep(1000) }
        }
        return .acquired
    }
}
