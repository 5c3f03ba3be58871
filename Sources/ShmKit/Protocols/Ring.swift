import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// The slots of a ring segment and the ticket discipline that lets several writers and several
/// readers share them (a bounded multi-producer/multi-consumer queue after D. Vyukov).
///
/// Every slot has a sequence number that says whose turn it is. The slot of ticket `t` is free
/// for the writer holding `t` (from `writeCursor`) when its sequence is `2t` (`freeMark`); the
/// writer publishes it by storing `2t + 1` (`fullMark`); the reader holding `t` (from
/// `readCursor`) reads it then, and frees it for ticket `t + N` by storing `2(t + N)`. Doubling
/// keeps "published for t" and "free for t + N" apart even with a single slot. A reader
/// therefore never sees a half-written slot, and the cursors count every message ever written
/// and read.
///
/// How a client gets a ticket and how it sleeps when there is none is the protocol's business:
/// `ClassicRing` (the seed's semaphores, one pair per message) or `FastRing` (atomic cursors,
/// semaphores only to sleep).
/// Package access: the fuzz targets check that a validated geometry stays inside the mapping.
///
/// `@unchecked Sendable`: as `ChannelHeader`. The stored properties are constants (the geometry
/// and two addresses in the mapping); a slot's sequence is reached only through `UnsafeAtomic`,
/// and its payload only by the one client whose ticket the sequence says it is.
package struct Ring: @unchecked Sendable {
    package let header: ChannelHeader
    package let slotCount: UInt64
    package let slotSize: Int
    package let stride: Int
    package let descriptors: UnsafeMutableRawPointer
    package let payloads: UnsafeMutableRawPointer
    /// `slotCount - 1` when it is a power of two, so the common case indexes with a mask.
    private let mask: UInt64?

    /// The ring of a segment with `geometry`, which the caller vouches for: the daemon passes
    /// the geometry it created the channel with, a client the one `HeaderValidation` checked
    /// against the mapping's size. Nothing here is re-read from shared memory, so a header
    /// rewritten later by anyone with write access cannot move a pointer out of the mapping.
    package init(header: ChannelHeader, geometry: RingGeometry) {
        self.header = header
        self.slotCount = UInt64(geometry.slotCount)
        self.slotSize = geometry.slotSize
        self.stride = geometry.stride
        self.descriptors = header.base + geometry.descriptorsOffset
        self.payloads = descriptors + Layout.descriptorsSize(slotCount: geometry.slotCount)
        self.mask = slotCount & (slotCount - 1) == 0 ? slotCount - 1 : nil
    }

    /// The ring of a header that `HeaderValidation` accepted a moment ago (tests, and clients at
    /// attach time, before anyone else could have changed it under them).
    package init(header: ChannelHeader) {
        self.init(
            header: header,
            geometry: RingGeometry(
                slotCount: Int(header.slotCount), slotSize: Int(header.slotSize),
                clientCapacity: Int(header.clientCapacity)))
    }

    /// Marks every slot free for the first lap.
    package func initializeSequences() {
        for index in 0..<slotCount {
            sequence(index).store(Self.freeMark(index), ordering: .relaxed)
        }
    }

    /// The sequence of a slot free for the writer of `ticket`.
    @inline(__always)
    package static func freeMark(_ ticket: UInt64) -> UInt64 { ticket &* 2 }

    /// The sequence of a slot holding the published message of `ticket`.
    @inline(__always)
    package static func fullMark(_ ticket: UInt64) -> UInt64 { ticket &* 2 &+ 1 }

    /// Unchecked conversion and, in `descriptor` and `payload`, unchecked products: the index is
    /// below `slotCount`, and the geometry (`slotCount`, `stride`) was checked to fit in the
    /// mapping, so neither can overflow; the checks cost instructions on every message.
    @inline(__always)
    private func index(_ ticket: UInt64) -> Int {
        Int(truncatingIfNeeded: mask.map { ticket & $0 } ?? ticket % slotCount)
    }

    /// The slot's descriptor: sequence at 0, length at 8, flags at 12.
    @inline(__always)
    package func descriptor(_ ticket: UInt64) -> UnsafeMutableRawPointer {
        descriptors + index(ticket) &* Layout.slotDescriptorSize
    }

    /// How many descriptors from the one of `ticket` on are left in its cache line (1 to 4): the
    /// slots whose sequences a load of `ticket`'s brings into the cache with it. The descriptor
    /// array starts page-aligned, so lines hold the descriptors of four consecutive indices.
    @inline(__always)
    func descriptorsLeftInLine(_ ticket: UInt64) -> Int {
        let perLine = Layout.cacheLine / Layout.slotDescriptorSize
        return perLine &- index(ticket) % perLine
    }

    @inline(__always)
    package func sequence(_ ticket: UInt64) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: descriptor(ticket).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// The slot's payload area, for the writer holding `ticket` to fill in place.
    @inline(__always)
    package func payload(_ ticket: UInt64) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: payloads + index(ticket) &* stride, count: slotSize)
    }

    /// Publishes the slot of `ticket` with `length` bytes (or as abandoned): readers may take it.
    ///
    /// Length and flags are relaxed atomic stores (plain moves on x86 and Arm): on a fan-out
    /// channel a lapped reader may read them while a writer stores them, and discards what it
    /// read when the sequence changed, so they must be atomic to be read at all.
    @inline(__always)
    package func publish(_ ticket: UInt64, length: Int, flags: UInt32 = 0) {
        let descriptor = descriptor(ticket)
        Self.word(descriptor, 8).store(UInt32(length), ordering: .relaxed)
        Self.word(descriptor, 12).store(flags, ordering: .relaxed)
        sequence(ticket).store(Self.fullMark(ticket), ordering: .releasing)
    }

    @inline(__always)
    private static func word(_ descriptor: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (descriptor + offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    /// Publishes the `count` slots from `first` on as abandoned and counts them in the header:
    /// how every claimed slot that will carry no message is given up (a fill that threw, a claim
    /// a close overtook, a dead writer's ticket), since a reader must never wait for a slot
    /// nobody will publish.
    ///
    /// Each slot is marked as being written first: a fan-out slot a dead writer claimed may
    /// still hold the previous lap's message, which a lapped reader may be copying; the mark
    /// tells it the descriptor is changing. A queue slot held by a writer holds that mark already.
    @inline(__always)
    package func abandon(from first: UInt64, count: Int = 1) {
        for index in 0..<count { markWriting(first &+ UInt64(index)) }
        atomicMemoryFence(ordering: .releasing)
        for index in 0..<count {
            publish(first &+ UInt64(index), length: 0, flags: SlotFlags.abandoned)
        }
        header.increment(.abandoned, by: UInt64(count))
    }

    /// Marks the slot of `ticket` as being written for it (sequence `2t`): what a fan-out writer
    /// stores once it took the ticket and before it touches the slot, so that a reader copying
    /// the previous lap's message out sees the change when it checks the sequence again (a
    /// seqlock). The caller orders it before the payload with a releasing fence.
    @inline(__always)
    package func markWriting(_ ticket: UInt64) {
        sequence(ticket).store(Self.freeMark(ticket), ordering: .relaxed)
    }

    /// The low half of the slot's sequence, the futex word fan-out readers sleep on: it changes
    /// with every mark and publish (the two differ in bit 0, laps in bits above it).
    @inline(__always)
    package func sequenceWord(_ ticket: UInt64) -> UnsafePointer<UInt32> {
        UnsafePointer(descriptor(ticket).assumingMemoryBound(to: UInt32.self))
    }

    /// Wakes the fan-out readers asleep on the slot of `ticket` (see `FanoutRing`).
    package func wakeReaders(_ ticket: UInt64) {
        header.wake { try Futex.wakeAll(sequenceWord(ticket), object: "slot \(index(ticket))") }
    }

    /// The message in the published slot of `ticket`, or `nil` for an abandoned slot.
    @inline(__always)
    package func message(_ ticket: UInt64) -> UnsafeRawBufferPointer? {
        let descriptor = descriptor(ticket)
        if Self.word(descriptor, 12).load(ordering: .relaxed) & SlotFlags.abandoned != 0 { return nil }
        let length = min(Int(Self.word(descriptor, 8).load(ordering: .relaxed)), slotSize)
        return UnsafeRawBufferPointer(start: payloads + index(ticket) &* stride, count: length)
    }

    /// Frees the slot of `ticket` for the writer of ticket `ticket + N`.
    @inline(__always)
    package func free(_ ticket: UInt64) {
        sequence(ticket).store(Self.freeMark(ticket &+ slotCount), ordering: .releasing)
    }

    /// Where the slot of `ticket` is in that ticket's turn: negative while it still belongs to an
    /// earlier ticket (last lap's message, not yet freed), 0 free for the writer of `ticket`,
    /// 1 holding its published message, more once freed for a later lap.
    @inline(__always)
    package func phase(_ ticket: UInt64) -> Int64 {
        Int64(bitPattern: sequence(ticket).load(ordering: .acquiring) &- Self.freeMark(ticket))
    }

    /// The phase in which a ticket is its holder's to use: for a writer, the slot free; for a
    /// reader, the message published.
    @inline(__always)
    package static func readyPhase(_ role: ClientRole) -> Int64 { role == .writer ? 0 : 1 }

    /// How many laps behind a cursor a ticket still held by a client can be. Fast: one. A fast
    /// client takes only slots that are ready, so no ticket is taken while the same slot's ticket
    /// a lap earlier is still held. Classic: as many as clients can wait at once, and one more.
    /// A classic client takes the next ticket as soon as it has a semaphore unit, which a slot
    /// freed elsewhere may have given it; while a slow client holds slot s, the tickets of s one,
    /// two, three laps later can each be taken by a client that then waits for s, and the
    /// cursors run on through the other slots meanwhile.
    package static func lapsBehind(_ proto: ChannelProtocol, clientCapacity: Int) -> UInt64 {
        proto == .fast ? 1 : UInt64(clientCapacity) + 1
    }

    /// How many times in a row a claim may find the slot at an unchanged cursor already past its
    /// turn before the ring counts as corrupt. One is proof: whoever moved the slot on took the
    /// cursor past it first, and the acquiring load of the sequence makes that visible to the
    /// next load of the cursor. A few more cost nothing and leave room for a cursor that a
    /// repair moves back and forth.
    static let staleClaimLimit = 64

    /// The corruption a claim loop must report, or `nil` to go on: called when the slot of
    /// `ticket` was found past its turn and the cursor reloaded as `reloaded`. A slot that
    /// anyone with write access set ahead of its cursor would otherwise keep the loop spinning
    /// forever, deaf to deadlines and to the channel's closing.
    @inline(never)
    func aheadOfCursor(_ ticket: UInt64, reloaded: UInt64, stale: inout Int, role: ClientRole) -> TicketOutcome? {
        guard reloaded == ticket else {
            stale = 0
            return nil
        }
        stale += 1
        guard stale >= Self.staleClaimLimit else { return nil }
        return .corrupt(describeAhead(ticket, role: role))
    }

    /// "slot 3 has sequence 1000, ahead of the write cursor 7".
    func describeAhead(_ ticket: UInt64, role: ClientRole) -> String {
        let cursor = role == .writer ? "write" : "read"
        return "slot \(index(ticket)) has sequence \(sequence(ticket).load(ordering: .relaxed)), ahead of the \(cursor) cursor \(ticket)"
    }

    /// Whether the slot of `ticket` is free for its writer.
    @inline(__always)
    package func isFree(_ ticket: UInt64) -> Bool {
        sequence(ticket).load(ordering: .acquiring) == Self.freeMark(ticket)
    }

    /// How many slots hold a published message (sequence `2t + 1`), taken by a reader or not.
    func publishedCount() -> Int {
        (0..<slotCount).reduce(0) { count, index in
            count + Int(sequence(index).load(ordering: .acquiring) & 1)
        }
    }

    /// Whether the slot of `ticket` holds its published message.
    @inline(__always)
    func isPublished(_ ticket: UInt64) -> Bool {
        sequence(ticket).load(ordering: .acquiring) == Self.fullMark(ticket)
    }
}
