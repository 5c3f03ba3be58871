import Atomics
import CShim

#if canImport(Glibc)
import Glibc
#endif

/// The fast protocol: the cursors carry the messages and the semaphores are only for sleeping.
///
/// A writer takes free slots by compare-and-swap on `writeCursor` when their sequence says they
/// are free; a reader takes published slots by compare-and-swap on `readCursor`. A side that finds
/// nothing to do spins for `spinNanoseconds` (yielding the CPU as it goes, so a peer on the same
/// core still runs), then announces itself in `writersWaiting`/`readersWaiting` and sleeps on
/// `empty`/`full`. The other side posts only when a waiter is announced, so a busy stream makes
/// no system call at all.
///
/// Why no wake-up is ever lost (a waiter W and a waker K of one semaphore):
///
///     W1  waiting += 1                      (sequentially consistent RMW)
///     W2  full fence; try to take a slot    → got one: waiting -= 1, done
///     W3  sem_wait; then waiting -= 1 and start again at W1
///
///     K1  publish or free a slot            (release store of the slot's sequence)
///     K2  full fence
///     K3  if waiting != 0 { sem_post }
///
/// W2's fence and K2 are in the single total order of sequentially consistent operations. If K2
/// comes first, K1 is visible to W2's check, which takes the slot and does not sleep. If W2's
/// fence comes first, W1 is visible to K3, which posts; a semaphore counts, so the post wakes W
/// whether W is already asleep or about to be. A waiter counts itself until it is awake again,
/// so several events while it wakes each post once: the spare posts make later waits return at
/// once, and each such waiter just checks again. Waiters also wake every 200 ms to look at the
/// channel's state, so a channel that closes, or a daemon that dies, never strands them.
struct FastRing {
    let ring: Ring
    /// `unowned(unsafe)`: the writer or reader that holds this discipline also holds the
    /// attachment, strongly, for as long as it holds the discipline, so the reference cannot
    /// dangle; and copying the discipline out of its enum on every operation then costs no
    /// reference counting (an atomic increment and decrement per call, measurable at 1 KiB).
    unowned(unsafe) let attached: AttachedChannel
    /// The ceiling of the spin (`spin-us`); `budget` decides how much of it each wait spins.
    let spinNanoseconds: UInt64
    /// This waiter's adaptive spin (`SpinBudget`), owned by `attached`.
    let budget: UnsafeMutablePointer<SpinBudget>
    /// The slots this writer saw free ahead of its cursor (`FreeSlotRun`), owned by `attached`.
    let freeSlotRun: UnsafeMutablePointer<FreeSlotRun>

    init(ring: Ring, attached: AttachedChannel) {
        self.ring = ring
        self.attached = attached
        self.spinNanoseconds = min(ring.header.spinNanoseconds, Layout.spinRange.upperBound)
        self.budget = attached.spinBudget.pointer
        self.freeSlotRun = attached.freeSlotRun.pointer
    }

    // MARK: writer

    /// Takes up to `maximum` consecutive free slots with one cursor update, waiting until at
    /// least one is free.
    func claimWrite(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        if attached.header.isClosing { return .closed }
        // The first attempt is made here, not in `waitFor`: passing the semaphore to `waitFor`
        // costs a retain and a release of it, atomic read-modify-writes that on x86 also drain
        // the store buffer, so every message waited for its previous slot's store to reach the
        // other core (bench/round-trip-analysis.md). A claim that succeeds at once touches no
        // object.
        let outcome: TicketOutcome
        if let got = tryClaimWrite(maximum: maximum) {
            outcome = got
        } else {
            outcome = try waitForWrite(maximum: maximum, until: deadline)
        }
        return try settleWrite(outcome)
    }

    /// What a writer's claim comes to once the close is looked at again; also the single-message
    /// fast path's (`ChannelWriter.writeOneNow`).
    @inline(__always)
    func settleWrite(_ outcome: TicketOutcome) throws -> TicketOutcome {
        // The claim and this load are both sequentially consistent, as is the daemon's store of
        // `closing`: a claim the daemon's close overtook is given up here (published as
        // abandoned, so no reader waits for it), and the caller is told the message was not
        // delivered, rather than it landing in a ring nobody will read again.
        guard case let .tickets(first, count) = outcome, attached.header.isClosingAfterClaim else { return outcome }
        ring.abandon(from: first, count: count)
        try published()
        attached.relayClose(on: attached.empty)
        return .closed
    }

    @inline(never)
    private func waitForWrite(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        try waitFor(
            { tryClaimWrite(maximum: maximum) }, more: { ring.isFree(attached.header.writeCursor.load(ordering: .relaxed)) },
            waiting: attached.header.writersWaiting, on: attached.empty, until: deadline, closedWhenEmpty: true)
    }

    @inline(__always)
    func tryClaimWrite(maximum: Int) -> TicketOutcome? {
        tryClaim(.writer, maximum: maximum)
    }

    /// After publishing: wakes readers if any announced that they sleep.
    @inline(__always)
    func published() throws {
        try Self.published(attached)
    }

    /// `published()` for the channel `attached`: the fast paths call it from their `defer`,
    /// which then captures one reference instead of this whole struct (a copy of it to the stack
    /// on every message).
    @inline(__always)
    static func published(_ attached: AttachedChannel) throws {
        // The semaphore is fetched only when a reader sleeps: see `claimWrite`.
        try NamedSemaphore.wakeAnnounced(attached.header.readersWaiting) { attached.full }
    }

    // MARK: reader

    /// Takes up to `maximum` consecutive published slots with one cursor update, waiting until
    /// at least one is published. After the channel closed it still takes what is left.
    func claimRead(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        // First attempt here, not in `waitFor`, for the reason given in `claimWrite`.
        if let got = tryClaimRead(maximum: maximum) { return got }
        return try waitForRead(maximum: maximum, until: deadline)
    }

    @inline(never)
    private func waitForRead(maximum: Int, until deadline: Deadline?) throws -> TicketOutcome {
        try waitFor(
            { tryClaimRead(maximum: maximum) }, more: { ring.isPublished(attached.header.readCursor.load(ordering: .relaxed)) },
            // While it spins, the reader keeps the payload it waits for in its cache, so the
            // message arrives with one cache miss (its descriptor) rather than two in a row.
            warm: { cshim_prefetch(ring.payload(attached.header.readCursor.load(ordering: .relaxed)).baseAddress) },
            waiting: attached.header.readersWaiting, on: attached.full, until: deadline, closedWhenEmpty: false)
    }

    @inline(__always)
    func tryClaimRead(maximum: Int) -> TicketOutcome? {
        tryClaim(.reader, maximum: maximum)
    }

    // MARK: claiming

    /// Takes up to `maximum` consecutive slots that are ready for `role` (free for a writer,
    /// published for a reader) with one compare-and-swap on that role's cursor, or returns
    /// `nil` when the slot at the cursor is not ready yet (full, or empty or still being
    /// copied). `role` is a constant at each call site, so after inlining each side keeps only
    /// its own cursor and ordering.
    ///
    /// A writer's exchange is sequentially consistent, to order it with the daemon's store of
    /// `closing` (see `claimWrite`); a reader's may be relaxed: the acquiring load of the slot's
    /// sequence already ordered the message before it.
    ///
    /// A writer's single claim of a ticket whose slot it already saw free (`FreeSlotRun`) skips
    /// the look at the slot; every other claim looks, and a writer's also notes which slots in
    /// the rest of that descriptor's cache line are free, for the claims after it.
    @inline(__always)
    private func tryClaim(_ role: ClientRole, maximum: Int) -> TicketOutcome? {
        let cursor = role == .writer ? attached.header.writeCursor : attached.header.readCursor
        let ready = Ring.readyPhase(role)
        var position = cursor.load(ordering: .relaxed)
        if role == .writer && maximum == 1 && freeSlotRun.pointee.covers(position) {
            attached.entry.hold(position, count: 1)
            let (exchanged, actual) = cursor.weakCompareExchange(
                expected: position, desired: position &+ 1,
                successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed)
            if exchanged {
                freeSlotRun.pointee.taken(before: position &+ 1)
                return .tickets(first: position, count: 1)
            }
            // Another writer took it: look at the slot of the ticket the cursor is at now.
            position = actual
        }
        var stale = 0
        while true {
            let difference = ring.phase(position) &- ready
            // Not ready: a writer's slot still holds last lap's message; a reader's is empty,
            // or its writer is still copying.
            if difference < 0 { return nil }
            if difference > 0 { // another client of the same role took it: catch up
                let reloaded = cursor.load(ordering: .relaxed)
                if let corrupt = ring.aheadOfCursor(position, reloaded: reloaded, stale: &stale, role: role) { return corrupt }
                position = reloaded
                continue
            }
            var count = 1
            while count < maximum && ring.phase(position &+ UInt64(count)) == ready {
                count += 1
            }
            var seenFree = count
            if role == .writer {
                // The rest of the last claimed slot's line is in this core's cache now: see
                // `FreeSlotRun`.
                let lineEnd = count &+ ring.descriptorsLeftInLine(position &+ UInt64(count &- 1)) &- 1
                while seenFree < lineEnd && ring.phase(position &+ UInt64(seenFree)) == ready {
                    seenFree += 1
                }
            }
            attached.entry.hold(position, count: count)
            let desired = position &+ UInt64(count)
            // Orderings must be constants (swift-atomics), hence two calls.
            let (exchanged, actual) =
                role == .writer
                ? cursor.weakCompareExchange(
                    expected: position, desired: desired,
                    successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed)
                : cursor.weakCompareExchange(
                    expected: position, desired: desired,
                    successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged {
                if role == .writer { freeSlotRun.pointee.record(from: desired, to: position &+ UInt64(seenFree)) }
                return .tickets(first: position, count: count)
            }
            position = actual
        }
    }

    /// After freeing slots: wakes writers if any announced that they sleep.
    @inline(__always)
    func freed() throws {
        try Self.freed(attached)
    }

    /// `freed()` for the channel `attached` (see `published(_:)`).
    @inline(__always)
    static func freed(_ attached: AttachedChannel) throws {
        try NamedSemaphore.wakeAnnounced(attached.header.writersWaiting) { attached.empty }
    }

    // MARK: waiting

    /// Spins, then announces and sleeps, until `attempt` yields tickets, the channel closes or
    /// the deadline passes.
    ///
    /// - Parameter closedWhenEmpty: a writer gives up as soon as the channel closes; a reader
    ///   only once nothing is left (and no writer that took a ticket before the close is still
    ///   copying, which it waits for one second at most).
    /// - Parameter more: whether another claim would succeed now; a waiter that was woken and
    ///   got what it wanted passes the wake-up on when there is more, since wakers post only
    ///   once while a post is pending.
    func waitFor(
        _ attempt: () -> TicketOutcome?, more: () -> Bool, warm: () -> Void = {}, waiting: UnsafeAtomic<UInt32>,
        on semaphore: NamedSemaphore, until deadline: Deadline?, closedWhenEmpty: Bool
    ) throws -> TicketOutcome {
        if let got = attempt() { return got }
        if let got = spin(attempt, warm: warm) { return got }
        var closedSince: Deadline?
        var slept = false
        var relayed = false
        while true {
            waiting.wrappingIncrement(ordering: .sequentiallyConsistent)
            // Recorded so that the daemon can take back the count of a client that dies asleep.
            attached.entry.waiting.store(1, ordering: .relaxed)
            defer {
                attached.entry.waiting.store(0, ordering: .relaxed)
                waiting.wrappingDecrement(ordering: .relaxed)
            }
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if let got = attempt() {
                // Others still counted (the count includes this waiter) and more to take.
                if more() && waiting.load(ordering: .relaxed) > 1 && semaphore.value <= 0 { try semaphore.post() }
                return got
            }
            // The header's state is one load; whether the objects are gone costs an fstat, so
            // that is looked at only after a slice passed without a post.
            if attached.header.isClosing || (slept && attached.isClosed) {
                if !relayed {
                    attached.relayClose(on: semaphore)
                    relayed = true
                }
                if closedWhenEmpty || !writerStillCopying() { return .closed }
                // A writer took a ticket before the close: give it a moment to publish.
                let since = closedSince ?? Deadline.now
                closedSince = since
                if since.adding(nanoseconds: GracePeriod.closingWriterNanoseconds).hasPassed { return .closed }
                sched_yield()
                continue
            }
            let now = Deadline.now
            if let deadline, now >= deadline { return .timedOut }
            slept = !(try semaphore.wait(until: now.adding(nanoseconds: attached.waitSlice).earlier(than: deadline)))
        }
    }

    /// The bounded spin before sleeping: PAUSE for a microsecond or two, then yield the CPU
    /// between attempts so that a peer sharing this core gets to run. How long is `budget`'s
    /// choice, at most `spinNanoseconds` (see `SpinBudget`); whether it caught the message
    /// within the short part is known from the clock read each round already makes, so the
    /// policy adds no clock read to the path of a caught message.
    @inline(__always)
    func spin(_ attempt: () -> TicketOutcome?, warm: () -> Void) -> TicketOutcome? {
        let length = budget.pointee.next(ceiling: spinNanoseconds)
        guard length > 0 else { return nil }
        let start = Deadline.now.nanoseconds
        let end = start &+ length
        let shortEnd = SpinBudget.shortEnd(start: start, ceiling: length, slotSize: ring.slotSize)
        var short = true
        var rounds = 0
        while true {
            for _ in 0..<32 {
                cshim_cpu_relax()
                warm()
                if let got = attempt() {
                    budget.pointee.caught(short: short)
                    return got
                }
            }
            if attached.header.isClosing { return nil }
            rounds += 1
            if rounds > 16 { sched_yield() }
            let now = Deadline.now.nanoseconds
            if now >= end {
                budget.pointee.expired()
                return nil
            }
            if now >= shortEnd { short = false }
        }
    }

    private func writerStillCopying() -> Bool {
        attached.header.readCursor.load(ordering: .sequentiallyConsistent)
            < attached.header.writeCursor.load(ordering: .sequentiallyConsistent)
    }
}
