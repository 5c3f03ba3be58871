/// How long a fast-protocol waiter spins before it sleeps, learnt from its own recent waits:
/// the channel's `spin-us` is the ceiling, and a waiter spins less when spinning does not pay.
///
/// **Why adapt.** A spin costs a core for as long as it lasts; a sleep costs a futex wait and a
/// wake (2–3 µs of CPU on the two sides together, `classic`'s reader in the README's paced run)
/// and a wake-up latency of 20–25 µs on a VM. Spinning pays when the message comes within a few
/// microseconds: a round trip (0.4–2 µs) or a saturated stream (a fraction of a microsecond).
/// It does not pay when messages come at a steady interval longer than that: at 100 k msg/s
/// (10 µs apart) a 50 µs spin catches every message after about 9 µs, so the reader burns a
/// whole core, 9 µs a message where a sleep would cost 2–3.
///
/// **The policy.** Every wait that spins ends one of three ways, and the spin says which:
///
/// - *short*: caught within `shortNanoseconds` (5 µs), plus the time the peer needs to copy a
///   full slot in and out (`copyBytesPerNanosecond`), or within the ceiling if that is less:
///   spinning paid, a sleep would have cost as much CPU and far more latency;
/// - *long*: caught later than that: the spin cost more CPU than a sleep would have;
/// - *expired*: the spin ran out (counts as long: the whole spin was wasted).
///
/// `score` counts long waits net of short ones: a long one adds 1 (up to `sleepScore`), a short
/// one takes off `shortWeight` (down to 0). Below `sleepScore` the waiter spins the full
/// ceiling, as before this policy. At `sleepScore`, that is once long waits outnumber short ones
/// by more than `shortWeight` to 1 over the recent ones, the waiter sleeps at once (no spin) on
/// every wait but the probes, which still spin the full ceiling to sample what waits are like
/// now: the first after one wait, then after 2, 4 and 8, then one wait in every `probePeriod`
/// (so that a waiter a burst of long waits stopped wrongly spins again after one or two slow
/// waits, not 15). One short probe is enough to take the score back below `sleepScore` and the
/// waiter back to spinning; a short wait in the first round of any spin counts the same.
///
/// **What it costs where spinning pays.** At saturation and in a ping-pong round trip, waits are
/// short, the score stays at 0 and every wait spins the full ceiling: the same as a fixed spin.
/// A burst of long waits (the peer descheduled on a loaded machine) needs `sleepScore` of them
/// net before a waiter stops spinning, and the first short probe after it restarts the spin; a
/// waiter that finds the stream saturated again sleeps on at most `probePeriod - 1` waits
/// before a probe sees it (each such sleep is one announce and usually returns at once).
///
/// **What it saves at a light load.** At 100 k msg/s the waiter spins on one wait in
/// `probePeriod` once it settled (about 9 µs, 0.6 µs a message) and sleeps on the others; and with no messages
/// at all a waiter spins one ceiling in `probePeriod` slices rather than every one.
///
/// **Correctness.** The budget only decides how long the spin before the sleep lasts; the
/// announce–fence–check–sleep protocol that makes a wake-up impossible to lose (`FastRing`)
/// does not depend on it, and is what a zero-length spin always ran (`spin-us = 0`). A ceiling
/// of 0 still means no spin at all. The state is the waiter's own (process-local, one per
/// attachment, and a writer or reader is for one thread at a time), so it needs no atomics and
/// changes nothing in the shared layout.
///
/// **Why the slot size counts.** In a round trip of large messages each wait includes the
/// peer's copies of the message, which no policy can shorten: 64 KiB messages waited 5–7 µs a
/// hop on this machine, so a fixed 5 µs made every such wait long and the waiter slept, and the
/// round trip went from 8.4 µs to 55 µs (the wake-up latency, twice). The allowance is two
/// copies of a full slot at 16 GB/s: 8 µs more for 64 KiB slots, 0.1 µs for 1 KiB ones; from
/// about 350 KiB (45 µs × 8 bytes a nanosecond) on it exceeds the default 50 µs ceiling, and only a spin that runs out is long.
struct SpinBudget {
    /// A wait caught within this, plus the slot's copy allowance (or within the ceiling, if
    /// that is less), is short: a sleep would have cost as much CPU (2–3 µs) and far more
    /// latency.
    static let shortNanoseconds: UInt64 = 5_000
    /// The copy allowance's rate: two copies at 16 GB/s, 8 bytes a nanosecond.
    static let copyBytesPerNanosecond: UInt64 = 8
    /// The score at which a waiter stops spinning.
    static let sleepScore: UInt8 = 8
    /// What a short wait takes off the score.
    static let shortWeight: UInt8 = 4
    /// While the waiter sleeps at once, every this many waits spin the full ceiling.
    static let probePeriod: UInt8 = 16

    /// Long waits net of short ones, 0...`sleepScore`.
    private(set) var score: UInt8 = 0
    /// Waits left before the next probe, while the score is at `sleepScore`.
    private(set) var untilProbe: UInt8 = 0
    /// Waits slept between the last two probes: 1, 2, 4, 8, then `probePeriod - 1`.
    private(set) var probeGap: UInt8 = 0

    /// Whether the waiter is sleeping at once (but for probes).
    var isSleeping: Bool { score >= Self.sleepScore }

    /// How long to spin on the next wait: `ceiling` or 0. The outcome of a spin of more than 0
    /// must be reported with `caught(short:)` or `expired()`.
    @inline(__always)
    mutating func next(ceiling: UInt64) -> UInt64 {
        guard isSleeping, ceiling > 0 else { return ceiling }
        if untilProbe == 0 {
            probeGap = min(probeGap * 2, Self.probePeriod - 1)
            untilProbe = probeGap
            return ceiling
        }
        untilProbe -= 1
        return 0
    }

    /// The end of the short part of a spin of `ceiling` starting at `start`, on a channel of
    /// `slotSize`-byte slots.
    @inline(__always)
    static func shortEnd(start: UInt64, ceiling: UInt64, slotSize: Int) -> UInt64 {
        start &+ min(shortNanoseconds &+ UInt64(slotSize) / copyBytesPerNanosecond, ceiling)
    }

    /// The spin caught what it waited for; `short`: within `shortEnd`.
    @inline(__always)
    mutating func caught(short: Bool) {
        if short {
            score = score > Self.shortWeight ? score - Self.shortWeight : 0
        } else {
            long()
        }
    }

    /// The spin ran out without catching anything.
    @inline(__always)
    mutating func expired() { long() }

    @inline(__always)
    private mutating func long() {
        if score < Self.sleepScore {
            score += 1
            // The first wait after the waiter stops spinning sleeps; the first probe comes after.
            if score == Self.sleepScore {
                untilProbe = 1
                probeGap = 1
            }
        }
    }
}
