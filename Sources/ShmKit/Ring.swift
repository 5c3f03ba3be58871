#if canImport(Glibc)
import Glibc
#endif
import Atomics

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
package struct Ring: @unchecked Sendable {
    package let header: ChannelHeader
    package let slotCount: UInt64
    package let slotSize: Int
    package let stride: Int
    package let descriptors: UnsafeMutableRawPointer
    package let payloads: UnsafeMutableRawPointer
    /// `slotCount - 1` when it is a power of two, so the common case indexes with a mask.
    private let mask: UInt64?

    package init(header: ChannelHeader) {
        self.header = header
        self.slotCount = UInt64(header.slotCount)
        self.slotSize = Int(header.slotSize)
        self.stride = Int(header.slotStride)
        self.descriptors = header.base + Int(header.headerSize)
        self.payloads = descriptors + Layout.descriptorsSize(slotCount: Int(slotCount))
        self.mask = slotCount & (slotCount - 1) == 0 ? slotCount - 1 : nil
    }

    /// Marks every slot free for the first lap.
    package func initializeSequences() {
        for index in 0..<slotCount {
            sequence(index).store(Self.freeMark(index), ordering: .relaxed)
        }
    }

    /// The sequence of a slot free for the writer of `ticket`.
    @inline(__always)
    static func freeMark(_ ticket: UInt64) -> UInt64 { ticket &* 2 }

    /// The sequence of a slot holding the published message of `ticket`.
    @inline(__always)
    static func fullMark(_ ticket: UInt64) -> UInt64 { ticket &* 2 &+ 1 }

    @inline(__always)
    private func index(_ ticket: UInt64) -> Int {
        Int(mask.map { ticket & $0 } ?? ticket % slotCount)
    }

    /// The slot's descriptor: sequence at 0, length at 8, flags at 12.
    @inline(__always)
    package func descriptor(_ ticket: UInt64) -> UnsafeMutableRawPointer {
        descriptors + index(ticket) * Layout.slotDescriptorSize
    }

    @inline(__always)
    func sequence(_ ticket: UInt64) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: descriptor(ticket).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// The slot's payload area, for the writer holding `ticket` to fill in place.
    @inline(__always)
    package func payload(_ ticket: UInt64) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: payloads + index(ticket) * stride, count: slotSize)
    }

    /// Publishes the slot of `ticket` with `length` bytes (or as abandoned): readers may take it.
    @inline(__always)
    package func publish(_ ticket: UInt64, length: Int, flags: UInt32 = 0) {
        let descriptor = descriptor(ticket)
        descriptor.storeBytes(of: UInt32(length), toByteOffset: 8, as: UInt32.self)
        descriptor.storeBytes(of: flags, toByteOffset: 12, as: UInt32.self)
        sequence(ticket).store(Self.fullMark(ticket), ordering: .releasing)
    }

    /// The message in the published slot of `ticket`, or `nil` for an abandoned slot.
    @inline(__always)
    package func message(_ ticket: UInt64) -> UnsafeRawBufferPointer? {
        let descriptor = descriptor(ticket)
        if descriptor.load(fromByteOffset: 12, as: UInt32.self) & SlotFlags.abandoned != 0 { return nil }
        let length = min(Int(descriptor.load(fromByteOffset: 8, as: UInt32.self)), slotSize)
        return UnsafeRawBufferPointer(start: payloads + index(ticket) * stride, count: length)
    }

    /// Frees the slot of `ticket` for the writer of ticket `ticket + N`.
    @inline(__always)
    func free(_ ticket: UInt64) {
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
    static func readyPhase(_ role: ClientRole) -> Int64 { role == .writer ? 0 : 1 }

    /// Whether the slot of `ticket` is free for its writer.
    @inline(__always)
    func isFree(_ ticket: UInt64) -> Bool {
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
