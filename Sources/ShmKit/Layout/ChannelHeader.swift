import Atomics

/// A typed view of the header page of a mapped channel segment.
///
/// Identification and geometry are written once by the daemon before the state becomes `open`
/// and are plain loads; everything that changes while clients run is accessed atomically
/// through `UnsafeAtomic` over the mapping.
///
/// `@unchecked Sendable`: its one stored property, the base address, is fixed at init. Every
/// field that changes once the channel is open is reached through `UnsafeAtomic`, and the fields
/// written once (identification, geometry) are stored before `state` becomes `open` with a
/// releasing store and never changed by shmd again. Other processes share the page anyway, so
/// sharing the view between threads adds no access the protocols do not already order.
package struct ChannelHeader: @unchecked Sendable {
    /// Start of the mapped header page. Package access: the fuzz targets lay out and check buffers through it.
    package let base: UnsafeMutableRawPointer

    package init(base: UnsafeMutableRawPointer) { self.base = base }

    // MARK: identification and geometry

    package var magic: UInt64 { load(Layout.Offset.magic) }
    package var version: UInt32 { load(Layout.Offset.version) }
    package var wordSize: UInt32 { load(Layout.Offset.wordSize) }
    package var headerSize: UInt32 { load(Layout.Offset.headerSize) }
    package var kindRaw: UInt32 { load(Layout.Offset.kind) }
    package var slotCount: UInt32 { load(Layout.Offset.slotCount) }
    package var slotSize: UInt32 { load(Layout.Offset.slotSize) }
    package var slotStride: UInt32 { load(Layout.Offset.slotStride) }
    package var protocolRaw: UInt32 { load(Layout.Offset.protocol) }
    package var totalSize: UInt64 { load(Layout.Offset.totalSize) }
    package var daemonPid: Int32 { load(Layout.Offset.daemonPid) }
    package var daemonStart: UInt64 { load(Layout.Offset.daemonStart) }
    package var generation: UInt64 { load(Layout.Offset.generation) }
    package var createdAt: UInt64 { load(Layout.Offset.createdAt) }
    package var clientCapacity: UInt32 { load(Layout.Offset.clientCapacity) }
    package var spinNanoseconds: UInt64 { load(Layout.Offset.spinNanoseconds) }
    /// The header's delivery word as stored: `Delivery(rawValue:)` reads it.
    package var deliveryRaw: UInt32 { load(Layout.Offset.delivery) }
    /// The boot the owning daemon ran in: a pid means nothing across boots.
    package var bootID: BootID { BootID(high: load(Layout.Offset.bootID), low: load(Layout.Offset.bootID + 8)) }

    /// Writes identification and geometry. Only the daemon calls this, on a fresh segment,
    /// before `state` becomes `open`.
    package func initialize(
        magic: UInt64, kind: ChannelKind, slotCount: Int, slotSize: Int, protocol: ChannelProtocol,
        totalSize: Int, clientCapacity: Int, daemon: ProcessIdentity, generation: UInt64, createdAt: UInt64,
        spinNanoseconds: UInt64 = Layout.defaultSpinNanoseconds, delivery: Delivery = .queue
    ) {
        store(Layout.Offset.magic, magic)
        store(Layout.Offset.version, Layout.version)
        store(Layout.Offset.wordSize, UInt32(MemoryLayout<Int>.size))
        store(Layout.Offset.headerSize, UInt32(Layout.headerSize))
        store(Layout.Offset.kind, kind.rawValue)
        store(Layout.Offset.slotCount, UInt32(slotCount))
        store(Layout.Offset.slotSize, UInt32(slotSize))
        store(Layout.Offset.slotStride, UInt32(kind == .ring ? Layout.slotStride(slotSize: slotSize) : 0))
        store(Layout.Offset.protocol, `protocol`.rawValue)
        store(Layout.Offset.totalSize, UInt64(totalSize))
        store(Layout.Offset.createdAt, createdAt)
        store(Layout.Offset.clientCapacity, UInt32(clientCapacity))
        store(Layout.Offset.spinNanoseconds, spinNanoseconds)
        store(Layout.Offset.delivery, delivery.rawValue)
        setOwner(daemon, generation: generation)
    }

    /// Records `daemon` as the owner, in this boot, with `generation`: at creation, and when a
    /// restarted daemon adopts the channel.
    package func setOwner(_ daemon: ProcessIdentity, generation: UInt64) {
        store(Layout.Offset.daemonPid, daemon.pid)
        store(Layout.Offset.daemonStart, daemon.startTime)
        store(Layout.Offset.generation, generation)
        let boot = BootID.current
        store(Layout.Offset.bootID, boot.high)
        store(Layout.Offset.bootID + 8, boot.low)
    }

    /// Seconds a held slot may stay held before shmd reports it stuck (`stuck-after`), as the
    /// owning shmd last wrote it; the default for a header that has none.
    package var stuckAfterSeconds: Double {
        let milliseconds = atomic64(Layout.Offset.stuckAfter).load(ordering: .relaxed)
        return milliseconds == 0 ? Layout.defaultStuckAfterSeconds : Double(milliseconds) / 1000
    }

    /// Records `stuck-after` for tools that read the header (`shmctl`): at creation, adoption
    /// and reload, by shmd only.
    package func setStuckAfter(seconds: Double) {
        atomic64(Layout.Offset.stuckAfter).store(UInt64(max(1, (seconds * 1000).rounded())), ordering: .relaxed)
    }

    // MARK: state

    /// The channel's life-cycle state; `nil` for a value this build does not know.
    package var state: ChannelState? { ChannelState(rawValue: stateRaw) }

    /// The state word as stored, for saying what an unknown one is.
    package var stateRaw: UInt32 { atomic32(Layout.Offset.state).load(ordering: .acquiring) }

    package func setState(_ state: ChannelState) {
        atomic32(Layout.Offset.state).store(state.rawValue, ordering: .sequentiallyConsistent)
    }

    /// True when the daemon has started to close the channel.
    /// The raw word against `open`'s value, the same test as `state != .open` (an unknown value
    /// counts as closing too) without building the enum: it is on the path of every message.
    @inline(__always)
    package var isClosing: Bool { stateRaw != ChannelState.open.rawValue }

    /// `isClosing` with a sequentially consistent load, for a writer that has just claimed: its
    /// claim (a sequentially consistent RMW), this load and the daemon's store of the state are
    /// then in one total order, so either the daemon's close sees the claim or this sees the
    /// close. An acquiring load gives that on x86 (after a locked RMW) but not on Arm.
    @inline(__always)
    package var isClosingAfterClaim: Bool {
        atomic32(Layout.Offset.state).load(ordering: .sequentiallyConsistent) != ChannelState.open.rawValue
    }

    // MARK: counters and cursors

    package typealias Counter = ChannelCounter

    /// A counter. Written and read are the cursors themselves: every ticket is a message (or an
    /// abandoned slot), so the hot path never touches a shared counter line.
    package func counter(_ counter: Counter) -> UInt64 {
        switch counter {
        case .written: return writeCursor.load(ordering: .relaxed)
        case .read: return readCursor.load(ordering: .relaxed)
        default: return atomicCounter(counter).load(ordering: .relaxed)
        }
    }

    package func set(_ counter: Counter, to value: UInt64) {
        atomicCounter(counter).store(value, ordering: .releasing)
    }

    package func increment(_ counter: Counter, by amount: UInt64 = 1) {
        atomicCounter(counter).wrappingIncrement(by: amount, ordering: .relaxed)
    }

    func decrement(_ counter: Counter) {
        atomicCounter(counter).wrappingDecrement(ordering: .relaxed)
    }

    /// The word of a stored counter (not `written` or `read`, which are the cursors).
    func atomicCounter(_ counter: Counter) -> UnsafeAtomic<UInt64> {
        atomic64(counter == .lost ? Layout.Offset.lost : Layout.Offset.counters + 8 * counter.rawValue)
    }

    /// Runs a wake-up (`sem_post` on the path after a publish or a free, or a closing relay)
    /// and counts a failure in `failedWakeups` rather than throwing it: what the post announces
    /// is already in the ring, and every waiter looks again within its wait slice, so a failed
    /// post costs latency, never a message; shmd logs the count when it grows.
    @inline(__always)
    package func wake(_ post: () throws -> Void) {
        do {
            try post()
        } catch {
            failedWakeups.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Wake-ups (`sem_post`) that failed, counted by whoever posted (see `wake`): one of the
    /// channel's semaphores was damaged or removed under a client or shmd.
    package var failedWakeups: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.failedWakeups) }

    /// Fan-out: readers that joined since the channel was created (see `FanoutRing`).
    package var joins: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.joins) }
    package var writeCursor: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.writeCursor) }
    package var readCursor: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.readCursor) }
    var restoredRead: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.restoredRead) }
    var restoredWrite: UnsafeAtomic<UInt64> { atomic64(Layout.Offset.restoredWrite) }
    package var writersWaiting: UnsafeAtomic<UInt32> { atomic32(Layout.Offset.writersWaiting) }
    package var readersWaiting: UnsafeAtomic<UInt32> { atomic32(Layout.Offset.readersWaiting) }

    // MARK: seed descriptor

    /// The seed layout's object names (segment, sem-empty, sem-full) held by a seed descriptor.
    package var seedNames: (segment: String, semaphoreEmpty: String, semaphoreFull: String) {
        (loadName(0), loadName(1), loadName(2))
    }

    package func storeSeedNames(segment: String, semaphoreEmpty: String, semaphoreFull: String) {
        for (index, name) in [segment, semaphoreEmpty, semaphoreFull].enumerated() {
            let field = base + Layout.Offset.seedNames + index * Layout.Offset.seedNameLength
            let bytes = Array(name.utf8.prefix(Layout.Offset.seedNameLength - 1)) + [0]
            bytes.withUnsafeBytes { field.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    private func loadName(_ index: Int) -> String {
        let field = base + Layout.Offset.seedNames + index * Layout.Offset.seedNameLength
        let bytes = UnsafeRawBufferPointer(start: field, count: Layout.Offset.seedNameLength)
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<length], as: UTF8.self)
    }

    // MARK: raw access

    /// The client table with `capacity` entries: the capacity validated or created, never the
    /// header's word for it, which anyone with write access may have changed.
    package func clientTable(capacity: Int) -> ClientTable { ClientTable(base: base + Layout.Offset.clients, capacity: capacity) }

    private func load<T: FixedWidthInteger>(_ offset: Int) -> T {
        base.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    private func store<T: FixedWidthInteger>(_ offset: Int, _ value: T) {
        base.storeBytes(of: value, toByteOffset: offset, as: T.self)
    }

    func atomic64(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    func atomic32(_ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }
}

/// The counts a channel's header keeps, for `ChannelSnapshot.counters`.
public enum ChannelCounter: Int, CaseIterable, Sendable {
    /// Messages written: the write cursor (abandoned slots included).
    case written
    /// Messages taken by readers: the read cursor (abandoned slots included). In a
    /// ``ChannelSnapshot`` of a fan-out channel, which has no shared read cursor: how far the
    /// slowest attached reader has read (as far as written, without readers).
    case read
    /// Messages a reader took in a batch and dropped because its body threw for an earlier one.
    case dropped
    /// Slots published without a message: a fill that threw, a claim a close overtook, or a
    /// writer that died holding a slot.
    case abandoned
    /// Messages a dead reader held that shmd wrote back into the ring.
    case redelivered
    /// Messages a dead reader held that shmd has not written back yet (a gauge).
    case pendingRedelivery
    /// Classic protocol: semaphore units lost with a killed client and put back by a waiter
    /// (see `LostUnitWatch`).
    case restoredUnits
    /// Clients shmd found dead without having detached (and repaired).
    case deadClients
    /// Fan-out with `slow-reader = "drop"`: messages readers skipped because the writers lapped
    /// them, summed over the readers (each reader's own count is in its client-table entry).
    case lost
}
