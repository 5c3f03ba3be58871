import Atomics
import CShim

#if canImport(Glibc)
import Glibc
#endif

/// Fan-out delivery over a fast ring: every reader reads every message.
///
/// Writers share `writeCursor` as in a queue channel and take tickets with a compare-and-swap;
/// readers take nothing shared. Each reader keeps its own cursor, in its client-table entry,
/// and reads the slot of that ticket when its sequence says `2t + 1` (published). Nobody frees
/// a slot: the writer of ticket `t` overwrites the slot of `t - N` once that message is
/// published (its sequence `2(t - N) + 1`, or `2t` in the first lap), after it has marked the
/// slot `2t` (being written). The marks make every slot a seqlock:
///
///     writer of t                              reader copying t - N out
///     W1  CAS writeCursor t → t + 1            R1  s = sequence (acquire) == 2(t - N) + 1
///     W2  sequence = 2t; releasing fence       R2  copy length, flags and payload
///     W3  fill the payload                     R3  acquiring fence; sequence == s ?
///     W4  sequence = 2t + 1 (release)
///
/// If R2 saw any byte of W3, the fences order W2 before R3, which then sees `2t` or later and
/// the reader discards its copy: a reader never hands out a message that was being overwritten.
/// (The payload is copied with plain loads and stores, as every seqlock does; the check is what
/// makes the copy trustworthy.)
///
/// **`slow-reader = "block"`**: a writer takes ticket `t` only when every live reader's cursor is
/// past `t - N`, the least cursor plus N being the *gate*. Writers keep the gate they computed
/// and look at the readers' entries again only when a ticket is beyond it, or when a reader
/// joined (`joins` in the header moved), so a writer that keeps up with its readers scans the
/// table once a lap. A reader delivers in place, in the slot: no writer can take the slot
/// before the reader's cursor passes it. A reader that dies is dropped from the gate when shmd's
/// sweep frees its entry; one that is stopped holds the writers, as the policy says.
///
/// Joining, without a writer overwriting the slot the new reader is about to read:
///
///     reader                                    writer (one claim)
///     J1  cursor = c0 + 1 (seq. consistent)     C1  p = writeCursor (seq. consistent)
///     J2  joins += 1 (seq. consistent)          C2  j = joins; j moved: gate = scan (C3)
///     J3  w = writeCursor (seq. consistent)     C3  least cursor over the table, + N
///     J4  cursor = w + 1 (next) or stays c0     C4  CAS writeCursor p → p + k (seq. consistent)
///
/// A writer whose C2 misses J2 loaded its `p` at C1 before J3 (loads in the single total order
/// of sequentially consistent operations), and its CAS succeeds only if the cursor still holds
/// `p`, so `p ≤ w`: its claim ends below `w + N` and cannot reach the slot of `w` again.
/// Every later claim starts at a `p` loaded after J3, hence reads `joins` after J2 and scans a
/// table in which the reader's cursor (J1) is visible. So from ticket `w` on, nothing the
/// reader has not read is ever overwritten. Tickets below `w` (a reader that asked for the
/// oldest messages) may be, once, by the claim that missed J2: those are copied and checked.
///
/// **`slow-reader = "drop"`**: writers never look at readers. Every delivery is a checked copy.
/// A reader that finds its slot already written for a later lap has been lapped: it skips to
/// the oldest slot that still holds its own ticket's message (or one still being written),
/// counts what it skipped in its entry and the header, and tells its caller (`lostBefore`).
///
/// **Sleeping.** Readers spin, then sleep with a futex on the low half of their slot's sequence
/// (`Ring.sequenceWord`), which every mark and publish changes; a writer that publishes wakes
/// the readers of those slots if any reader announced itself in `readersWaiting`. It is the
/// argument of `FastRing` with a futex for the semaphore, and the futex's compare in the kernel
/// for the count:
///
///     reader                                    writer
///     S1  v = sequence word of the cursor slot  P1  publish (release)
///     S2  readersWaiting += 1; full fence        P2  full fence
///     S3  look again: published → take it        P3  readersWaiting != 0 → futex wake
///     S4  futex wait while the word == v
///
/// If P2 comes first in the total order, S3 sees P1. If S2 comes first, P3 sees the count and
/// wakes; a wake before S4 is not lost, since P1 changed the word from `v` and the kernel's
/// compare fails. One wake reaches every reader asleep on that slot: no reader can take another
/// reader's wake-up, as one semaphore unit could. Writers wait for the gate or for the previous
/// lap's writer on `empty`, as queue writers do, and are posted by the readers and the writers
/// that make progress. Every sleep still ends after the wait slice, so a closing channel or a
/// dead daemon never strands anyone.
struct FanoutRing {
    let fast: FastRing
    let policy: SlowReaderPolicy
    /// Process-local state: the reader's position and losses, the writer's cached gate.
    /// `unowned(unsafe)` for the reason `FastRing.attached` is.
    unowned(unsafe) let state: FanoutState

    var ring: Ring { fast.ring }
    private var attached: AttachedChannel { fast.attached }
    private var header: ChannelHeader { fast.attached.header }

    // MARK: writer

    /// Takes up to `maximum` consecutive slots with one cursor update, each marked as being
    /// written, waiting until at least one may be taken (see the type's comment).
    func claimWrite(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        if header.isClosing { return .closed }
        let outcome = try fast.waitFor(
            { tryClaimWrite(maximum: maximum) },
            more: { writability(header.writeCursor.load(ordering: .relaxed)) == .writable },
            waiting: header.writersWaiting, on: attached.empty, until: deadline, closedWhenEmpty: true)
        // As in `FastRing.claimWrite`: a claim a close overtook is given up.
        guard case let .tickets(first, count) = outcome, header.isClosing else { return outcome }
        ring.abandon(from: first, count: count)
        try published(first, count: count)
        attached.relayClose(on: attached.empty)
        return .closed
    }

    private enum Writability { case writable, taken, notYet }

    /// Whether the writer of `ticket` may take its slot: the previous lap's message is published
    /// (or, in the first lap, the slot untouched); another writer took the ticket already; or the
    /// previous lap's writer is still writing.
    @inline(__always)
    private func writability(_ ticket: UInt64) -> Writability {
        let sequence = ring.sequence(ticket).load(ordering: .acquiring)
        let ready = ticket >= ring.slotCount ? Ring.fullMark(ticket &- ring.slotCount) : Ring.freeMark(ticket)
        if sequence == ready { return .writable }
        return sequence > ready ? .taken : .notYet
    }

    private func tryClaimWrite(maximum: Int) -> TicketOutcome? {
        let cursor = header.writeCursor
        var position = cursor.load(ordering: .sequentiallyConsistent)
        var stale = 0
        while true {
            switch writability(position) {
            case .notYet: return nil
            case .taken:
                let reloaded = cursor.load(ordering: .sequentiallyConsistent)
                if let corrupt = ring.aheadOfCursor(position, reloaded: reloaded, stale: &stale, role: .writer) { return corrupt }
                position = reloaded
                continue
            case .writable: break
            }
            var limit = maximum
            if policy == .block {
                guard let room = room(at: position) else { return nil }
                limit = min(limit, room)
            }
            var count = 1
            while count < limit && writability(position &+ UInt64(count)) == .writable {
                count += 1
            }
            attached.entry.hold(position, count: count)
            let (exchanged, actual) = cursor.weakCompareExchange(
                expected: position, desired: position &+ UInt64(count),
                successOrdering: .sequentiallyConsistent, failureOrdering: .sequentiallyConsistent)
            if exchanged {
                for index in 0..<count { ring.markWriting(position &+ UInt64(index)) }
                atomicMemoryFence(ordering: .releasing)
                return .tickets(first: position, count: count)
            }
            position = actual
        }
    }

    /// How many tickets from `position` on the gate lets a blocking writer take, `nil` for none.
    private func room(at position: UInt64) -> Int? {
        let joins = header.joins.load(ordering: .sequentiallyConsistent)
        if joins != state.gateJoins || position >= state.gateLimit {
            state.gateJoins = joins
            state.gateLimit = gate()
        }
        guard position < state.gateLimit else { return nil }
        return Int(min(state.gateLimit - position, UInt64(Int.max)))
    }

    /// The least live reader's cursor plus N: tickets below it may be written. Without readers
    /// there is no limit, and the ring keeps the last N messages for a reader that asks for
    /// the oldest.
    private func gate() -> UInt64 {
        let table = attached.clientTable
        var least = UInt64.max
        for index in 0..<table.capacity {
            let cursor = table.entry(index).cursor.load(ordering: .sequentiallyConsistent)
            if cursor != 0 { least = min(least, cursor - 1) }
        }
        return least == .max ? .max : least &+ ring.slotCount
    }

    /// After publishing `count` slots from `first`: wakes the readers asleep on them, and a
    /// writer waiting for one of them (the next lap's writer of a slot waits for its publish).
    func published(_ first: UInt64, count: Int) throws {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if header.readersWaiting.load(ordering: .relaxed) != 0 {
            for index in 0..<count {
                try Futex.wakeAll(ring.sequenceWord(first &+ UInt64(index)), object: attached.names.segment)
            }
        }
        if header.writersWaiting.load(ordering: .relaxed) != 0 && attached.empty.value <= 0 { try attached.empty.post() }
    }

    // MARK: reader

    /// Records where this reader starts, before its first read (see the type's comment).
    func join(from start: StartPosition) {
        let entry = attached.entry
        let slots = ring.slotCount
        let before = header.writeCursor.load(ordering: .sequentiallyConsistent)
        let provisional = start == .next ? before : before - min(before, slots)
        entry.cursor.store(provisional &+ 1, ordering: .sequentiallyConsistent)
        header.joins.wrappingIncrement(ordering: .sequentiallyConsistent)
        let settled = header.writeCursor.load(ordering: .sequentiallyConsistent)
        let first = start == .next ? settled : provisional
        entry.cursor.store(first &+ 1, ordering: .releasing)
        state.cursor = first
        state.checkedBelow = policy == .drop ? .max : settled
        state.lossFrom = start == .next ? first : nil
    }

    /// Takes up to `maximum` consecutive published messages from this reader's cursor, waiting
    /// for at least one; after the channel closed, takes what is left.
    func claimRead(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        if let got = tryClaimRead(maximum: maximum) { return got }
        if let got = fast.spin({ tryClaimRead(maximum: maximum) }, warm: { cshim_prefetch(ring.payload(state.cursor).baseAddress) }) {
            return got
        }
        var closedSince: Deadline?
        var slept = false
        while true {
            let waitingAt = state.cursor
            let word = ring.sequenceWord(waitingAt)
            // The low half, as the futex compares it (little-endian: the word is the first four bytes).
            let observed = UInt32(truncatingIfNeeded: ring.sequence(waitingAt).load(ordering: .acquiring))
            header.readersWaiting.wrappingIncrement(ordering: .sequentiallyConsistent)
            attached.entry.waiting.store(1, ordering: .relaxed)
            defer {
                attached.entry.waiting.store(0, ordering: .relaxed)
                header.readersWaiting.wrappingDecrement(ordering: .relaxed)
            }
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if let got = tryClaimRead(maximum: maximum) { return got }
            if state.cursor != waitingAt { continue } // lapped and moved on: look at the new slot
            if header.isClosing || (slept && attached.isClosed) {
                if state.cursor >= header.writeCursor.load(ordering: .sequentiallyConsistent) { return .closed }
                // A writer took a ticket before the close: give it a moment to publish.
                let since = closedSince ?? Deadline.now
                closedSince = since
                if since.adding(nanoseconds: GracePeriod.closingWriterNanoseconds).hasPassed { return .closed }
                sched_yield()
                continue
            }
            let now = Deadline.now
            if let deadline, now >= deadline { return .timedOut }
            slept =
                !(try Futex.wait(
                    on: word, expected: observed, until: now.adding(nanoseconds: attached.waitSlice).earlier(than: deadline),
                    object: attached.names.segment))
        }
    }

    /// The published messages at this reader's cursor, or `nil` when the slot there is not
    /// published yet. A slot already written for a later lap means the writers lapped this
    /// reader: it skips ahead (`skipLapped`) and looks again.
    @inline(__always)
    private func tryClaimRead(maximum: Int) -> TicketOutcome? {
        while true {
            let cursor = state.cursor
            let sequence = ring.sequence(cursor).load(ordering: .acquiring)
            let published = Ring.fullMark(cursor)
            if sequence < published { return nil }
            if sequence > published {
                skipLapped(from: cursor)
                continue
            }
            var count = 1
            while count < maximum && ring.sequence(cursor &+ UInt64(count)).load(ordering: .acquiring) == Ring.fullMark(cursor &+ UInt64(count)) {
                count += 1
            }
            return .tickets(first: cursor, count: count)
        }
    }

    /// Moves a lapped reader from `cursor` to the oldest slot that still holds its own ticket's
    /// message or is still being written for it, and counts what it skipped.
    private func skipLapped(from cursor: UInt64) {
        let written = header.writeCursor.load(ordering: .acquiring)
        var next = max(cursor &+ 1, written - min(written, ring.slotCount))
        while next < written && ring.sequence(next).load(ordering: .acquiring) > Ring.fullMark(next) {
            next &+= 1
        }
        move(to: next, skipping: cursor..<max(next, cursor))
    }

    /// Sets the cursor to `ticket`, counting `skipped` as lost (from where losses count on).
    private func move(to ticket: UInt64, skipping skipped: Range<UInt64>) {
        if let from = state.lossFrom {
            let lost = skipped.clamped(to: from..<UInt64.max).count
            if lost > 0 {
                state.lost &+= UInt64(lost)
                state.gap &+= UInt64(lost)
                attached.entry.lost.store(state.lost, ordering: .relaxed)
                header.increment(.lost, by: UInt64(lost))
            }
        }
        state.cursor = ticket
        attached.entry.cursor.store(ticket &+ 1, ordering: .releasing)
    }

    /// The message of `ticket`, a published ticket at this reader's cursor: in place when no
    /// writer can overwrite it meanwhile, otherwise a copy checked against the slot's sequence.
    ///
    /// - Returns: `.message` (`nil` bytes for an abandoned slot), or `.lapped` when the copy
    ///   was overwritten while it was taken (the reader has moved on past it).
    func message(_ ticket: UInt64) -> FanoutMessage {
        if state.lossFrom == nil { state.lossFrom = ticket }
        if ticket >= state.checkedBelow {
            return .message(ring.message(ticket))
        }
        let published = Ring.fullMark(ticket)
        let copy = state.buffer(size: ring.slotSize)
        let taken = ring.message(ticket).map { message in
            if let source = message.baseAddress, message.count > 0 {
                cshim_copy_racing(copy.baseAddress!, source, message.count)
            }
            return message.count
        }
        atomicMemoryFence(ordering: .acquiring)
        guard ring.sequence(ticket).load(ordering: .relaxed) == published else {
            skipLapped(from: ticket)
            return .lapped
        }
        return .message(taken.map { UnsafeRawBufferPointer(start: copy.baseAddress, count: $0) })
    }

    /// After the reader is done with the messages before `ticket`: records its cursor there and,
    /// with `block`, wakes a writer waiting for the gate.
    func consumed(upTo ticket: UInt64) throws {
        state.cursor = ticket
        attached.entry.cursor.store(ticket &+ 1, ordering: .releasing)
        if policy == .block { try attached.empty.wakeAnnounced(header.writersWaiting) }
    }

    /// Messages this reader lost since it last asked, and forgets them.
    func takeGap() -> UInt64 {
        defer { state.gap = 0 }
        return state.gap
    }
}

/// What `FanoutRing.message(_:)` found.
enum FanoutMessage {
    /// The message, or `nil` for an abandoned slot.
    case message(UnsafeRawBufferPointer?)
    /// Overwritten while it was copied: lost, and the reader moved past it.
    case lapped
}

/// The process-local side of a fan-out client (see `FanoutRing`).
final class FanoutState {
    // Writer: the gate as last computed, and `joins` as it was then.
    var gateLimit: UInt64 = 0
    var gateJoins: UInt64 = .max
    // Reader.
    /// The next ticket this reader reads.
    var cursor: UInt64 = 0
    /// Tickets below this are copied and checked rather than lent in place (`drop`: all).
    var checkedBelow: UInt64 = .max
    /// Skipped tickets count as lost from this one on: the join point, or for a reader that
    /// asked for the oldest messages, its first message (`nil` until then).
    var lossFrom: UInt64?
    /// Messages lost since the reader joined.
    var lost: UInt64 = 0
    /// Messages lost since the caller last asked (`ReceivedMessage.lostBefore`).
    var gap: UInt64 = 0
    private var storage: UnsafeMutableRawBufferPointer?

    /// A buffer of `size` bytes for checked copies, allocated on first use.
    func buffer(size: Int) -> UnsafeMutableRawBufferPointer {
        if let storage { return storage }
        let allocated = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
        storage = allocated
        return allocated
    }

    deinit { storage?.deallocate() }
}
