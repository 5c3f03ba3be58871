/// The tickets whose slots a fast writer saw free when it last looked, ahead of the ones it
/// took: a claim of one of them needs no look at its slot.
///
/// **Why.** A writer's claim loads the sequence of the slot at the cursor, and the descriptor
/// holding it was last written by a reader that freed it, often a moment ago (descriptors are
/// 16 bytes, four to a cache line, and the reader freed the neighbour). That load is a cache
/// miss on another core's line, on the path of every message: in a ping-pong round trip, one of
/// the few misses each hop takes (about 12 % of the round trip, bench/round-trip-analysis.md).
/// The other sequences in the same line arrive with it at no cost, so the claim that takes the
/// miss reads them too and remembers which of them were free: the next claims (up to three)
/// take their slots without touching the line.
///
/// **Why it is safe.** The writer saw, with an acquiring load, the slot of ticket `u` holding
/// the sequence `2u`: free for `u`. Only the client holding ticket `u` changes that sequence
/// (its writer publishes or abandons it; nobody else holds `u` yet), and ticket `u` is held only
/// once the write cursor has passed `u`. The daemon's repairs change only the slots of tickets
/// a dead client held, and sequences are initialized only before any client attaches. So while
/// the write cursor is at most `u`, the slot is still free for `u`; the claim's
/// compare-and-swap from `u` to `u + 1` succeeds only while the cursor is exactly `u`, so a
/// claim it lets through is a claim of a free slot, and a failed one falls back to looking at
/// the slot. The acquiring load that saw `2u` synchronized with the releasing store of the
/// reader that freed it, so that reader's copy of the old message happens before the new one
/// is written, whenever the writer writes it. A cursor that anyone moved back below `first`
/// (corruption) is not covered, and `taken` moves `first` past every ticket this writer took.
///
/// Process-local (one per attachment, for one thread at a time), so no atomics and no change to
/// the shared layout; other writers of the channel need not know about it.
struct FreeSlotRun {
    /// The first ticket not known free (or already taken by this writer).
    private(set) var first: UInt64 = 0
    /// One past the last ticket seen free.
    private(set) var end: UInt64 = 0

    /// Whether the slot of `ticket` was seen free for it.
    @inline(__always)
    func covers(_ ticket: UInt64) -> Bool {
        ticket >= first && ticket < end
    }

    /// The tickets from `first` to `end` (excluded) were seen free for their own ticket.
    @inline(__always)
    mutating func record(from first: UInt64, to end: UInt64) {
        self.first = first
        self.end = end
    }

    /// This writer took the tickets before `next`.
    @inline(__always)
    mutating func taken(before next: UInt64) {
        first = next
    }
}
