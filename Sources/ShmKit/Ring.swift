#if canImport(Glibc)
import Glibc
#endif
import Atomics

/// The slots of a ring segment and the ticket discipline that lets several writers and several
/// readers share them (a bounded multi-producer/multi-consumer queue after D. Vyukov).
///
/// Every slot has a sequence number. Slot `i` starts at sequence `i`. The writer holding ticket
/// `t` (from `writeCursor`) may fill slot `t % N` once its sequence is `t`, and publishes it by
/// storing `t + 1`; the reader holding ticket `t` (from `readCursor`) may read it once the
/// sequence is `t + 1`, and frees it for ticket `t + N` by storing `t + N`. The semaphores
/// count free and full slots, so a ticket is only taken when its slot is, or is about to be,
/// ready; the sequence check covers the short window in which a neighbour's copy is still in
/// flight, and guarantees a reader never sees a half-written message.
struct Ring {
    let header: ChannelHeader
    let slotCount: UInt64
    let slotSize: Int
    let stride: Int
    let slots: UnsafeMutableRawPointer

    init(header: ChannelHeader) {
        self.header = header
        self.slotCount = UInt64(header.slotCount)
        self.slotSize = Int(header.slotSize)
        self.stride = Int(header.slotStride)
        self.slots = header.base + Int(header.headerSize)
    }

    /// Sets every slot's sequence to its index: all slots free for the first lap.
    func initializeSequences() {
        for index in 0..<slotCount {
            sequence(index).store(index, ordering: .relaxed)
        }
    }

    func slot(for ticket: UInt64) -> UnsafeMutableRawPointer {
        slots + Int(ticket % slotCount) * stride
    }

    func sequence(_ ticket: UInt64) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: slot(for: ticket).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// Copies `message` into the slot of `ticket` and publishes it.
    func fill(ticket: UInt64, with message: UnsafeRawBufferPointer) {
        let slot = slot(for: ticket)
        slot.storeBytes(of: UInt32(message.count), toByteOffset: 8, as: UInt32.self)
        if let source = message.baseAddress, message.count > 0 {
            (slot + Layout.slotHeaderSize).copyMemory(from: source, byteCount: message.count)
        }
        sequence(ticket).store(ticket &+ 1, ordering: .releasing)
        header.increment(.written)
    }

    /// Lends the published message of `ticket` to `body`, then frees the slot for the next lap.
    func drain<T>(ticket: UInt64, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let slot = slot(for: ticket)
        let length = min(Int(slot.loadUnaligned(fromByteOffset: 8, as: UInt32.self)), slotSize)
        defer {
            sequence(ticket).store(ticket &+ slotCount, ordering: .releasing)
            header.increment(.read)
        }
        return try body(UnsafeRawBufferPointer(start: slot + Layout.slotHeaderSize, count: length))
    }

    /// Whether the slot of `ticket` holds what the holder of that ticket waits for:
    /// `expected` is `ticket` for a writer and `ticket + 1` for a reader.
    func isReady(_ ticket: UInt64, expected: UInt64) -> Bool {
        sequence(ticket).load(ordering: .acquiring) == expected
    }
}
