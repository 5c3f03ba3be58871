import Atomics
import CShim

#if canImport(Glibc)
import Glibc
#endif

/// This process's attachments as a signal handler may see them (see `ClientSignals`): a fixed
/// array, allocated once and never freed, read and written with atomics only (no lock, no
/// allocation), so that a handler can tell, at whatever instruction it interrupted, which
/// attachments are between two operations and may be detached on the spot.
///
/// The block is one line holding the pending termination signal, then one line per slot (its
/// owner stores `status` twice per operation, so no two slots share a cache line):
///
///     0   status     free, registering, idle (between operations), busy (inside one), or
///                    detaching (taken by a handler: the process is ending)
///     8   owner      thread pointer of the thread that attached
///     16  table      address of the header's client table
///     24  index      the attachment's entry in it
///     32  pid        this process, as the entry records it
///     40  startTime
///
/// Who moves `status`: the owner thread stores idle → busy → idle around each operation (plain
/// stores: a handler that could see them half-way runs on that same thread, between two of its
/// instructions); any other thread that operates goes from idle to busy by compare-and-swap; a
/// handler takes an idle slot of its own thread by compare-and-swap; `remove` frees an idle one
/// by compare-and-swap. A slot a handler took is never given back: the process is ending.
enum AttachmentRegistry {
    static let capacity = 64
    static let lineSize = 64

    enum Status: Int {
        case free = 0
        case registering, idle, busy, detaching
    }

    /// Allocated by the first attachment or by `ClientSignals.detachOnTermination`, whichever
    /// comes first, never inside a handler.
    ///
    /// `nonisolated(unsafe)`: the pointer itself is immutable once the lazy initializer (which
    /// Swift runs exactly once, thread-safely) has set it; what it points to is only ever reached
    /// through `UnsafeAtomic`, so no two threads race on a plain load or store of it.
    nonisolated(unsafe) static let block: UnsafeMutableRawPointer = {
        let size = (capacity + 1) * lineSize
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: lineSize)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        return block
    }()

    /// The signal that arrived during an operation, which the process ends by once the operation
    /// is over; 0 for none.
    static var pendingSignal: UnsafeAtomic<Int32> {
        UnsafeAtomic(at: block.assumingMemoryBound(to: Int32.AtomicRepresentation.self))
    }

    /// The calling thread, as `Slot.owner` records it.
    @inline(__always)
    static var currentThread: UInt { UInt(bitPattern: cshim_thread_pointer()) }

    static func slot(_ index: Int) -> Slot {
        Slot(base: block + (index + 1) * lineSize, block: block, owner: 0)
    }

    /// Records the attachment whose entry is `index` of `table`, made by the calling thread.
    ///
    /// - Returns: its slot, or `nil` when every slot is taken: the attachment works, and a
    ///   termination signal leaves its entry to shmd, as if the process had been killed.
    static func register(table: ClientTable, index: Int, process: ProcessIdentity) -> Slot? {
        let thread = currentThread
        for candidate in 0..<capacity {
            let slot = slot(candidate)
            guard
                slot.status.compareExchange(
                    expected: Status.free.rawValue, desired: Status.registering.rawValue,
                    ordering: .acquiring
                ).exchanged
            else { continue }
            slot.word(8).store(thread, ordering: .relaxed)
            slot.word(16).store(UInt(bitPattern: table.base), ordering: .relaxed)
            slot.word(24).store(UInt(index), ordering: .relaxed)
            slot.word(32).store(UInt(bitPattern: Int(process.pid)), ordering: .relaxed)
            slot.word(40).store(UInt(process.startTime), ordering: .relaxed)
            slot.status.store(Status.idle.rawValue, ordering: .releasing)
            return Slot(base: slot.base, block: block, owner: thread)
        }
        return nil
    }

    /// Whether an attachment of `thread` is inside an operation.
    static func anyBusy(ownedBy thread: UInt) -> Bool {
        (0..<capacity).contains { index in
            let slot = slot(index)
            return slot.status.load(ordering: .acquiring) == Status.busy.rawValue && slot.word(8).load(ordering: .relaxed) == thread
        }
    }

    /// Detaches every attachment of `thread` that is between operations (see `Slot.detachIfIdle`);
    /// async-signal-safe.
    static func detachIdle(ownedBy thread: UInt) {
        for index in 0..<capacity {
            let slot = slot(index)
            if slot.word(8).load(ordering: .relaxed) == thread { slot.detachIfIdle() }
        }
    }

    /// One attachment's slot.
    ///
    /// `@unchecked Sendable`: two addresses and a thread identity, all fixed at init; the slot's
    /// words are reached only through `UnsafeAtomic` (a signal handler reads them, see above).
    struct Slot: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let block: UnsafeMutableRawPointer
        /// The thread that attached, kept here too so that an operation compares it without a load
        /// from the block.
        let owner: UInt

        var status: UnsafeAtomic<Int> { UnsafeAtomic(at: base.assumingMemoryBound(to: Int.AtomicRepresentation.self)) }

        func word(_ offset: Int) -> UnsafeAtomic<UInt> {
            UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt.AtomicRepresentation.self))
        }

        /// Marks the attachment as inside an operation: from here until `endOperation` a handler
        /// leaves its shared state alone.
        @inline(__always)
        func beginOperation() {
            if owner == AttachmentRegistry.currentThread {
                status.store(Status.busy.rawValue, ordering: .relaxed)
                // The store must come before anything the operation does to the channel, as a
                // handler interrupting this thread sees it; no instruction, only the compiler's order.
                cshim_signal_fence()
            } else {
                beginOnAnotherThread()
            }
        }

        /// Marks the attachment as between operations again, then ends the process if a
        /// termination signal arrived meanwhile (see `ClientSignals`).
        @inline(__always)
        func endOperation() {
            cshim_signal_fence()
            status.store(Status.idle.rawValue, ordering: .releasing)
            cshim_signal_fence()
            if UnsafeAtomic<Int32>(at: block.assumingMemoryBound(to: Int32.AtomicRepresentation.self)).load(ordering: .relaxed) != 0 {
                ClientSignals.endIfTerminating()
            }
        }

        /// A thread other than the one that attached: a handler on the owner's thread may take
        /// the slot at any moment, so idle → busy is a compare-and-swap.
        @inline(never)
        private func beginOnAnotherThread() {
            var current = status.load(ordering: .relaxed)
            while true {
                // Taken by a handler: the process is ending with this attachment detached, and
                // this thread must not touch the channel any more. It waits for the end.
                if current == Status.detaching.rawValue {
                    while true { _ = pause() }
                }
                let (done, actual) = status.compareExchange(expected: current, desired: Status.busy.rawValue, ordering: .acquiringAndReleasing)
                if done { return }
                current = actual
            }
        }

        /// Frees the attachment's client-table entry if it is between operations, still records
        /// this process, holds no ticket and is not counted asleep; otherwise leaves the entry for
        /// shmd, which repairs what it held once the process is gone. Async-signal-safe: atomics
        /// only. The slot is not given back: the process is ending.
        func detachIfIdle() {
            guard
                status.compareExchange(
                    expected: Status.idle.rawValue, desired: Status.detaching.rawValue,
                    ordering: .acquiringAndReleasing
                ).exchanged
            else { return }
            guard let tableBase = UnsafeMutableRawPointer(bitPattern: word(16).load(ordering: .relaxed)) else { return }
            let index = Int(word(24).load(ordering: .relaxed))
            // The table's size does not matter here: only the entry at `index`, which was inside
            // it when the attachment registered, is touched.
            let table = ClientTable(base: tableBase, capacity: index + 1)
            let process = ProcessIdentity(
                pid: Int32(truncatingIfNeeded: Int(bitPattern: word(32).load(ordering: .relaxed))),
                startTime: UInt64(word(40).load(ordering: .relaxed)))
            let entry = table.entry(index)
            guard entry.pid.load(ordering: .acquiring) == process.pid, entry.startTime.load(ordering: .acquiring) == process.startTime,
                entry.held == nil, entry.waiting.load(ordering: .acquiring) == 0
            else { return }
            table.unregister(index, process: process)
        }

        /// Forgets the slot when its attachment goes, before the attachment frees its entry and
        /// unmaps the channel. If a handler (on the owner's thread, while another thread lets the
        /// attachment go) took the slot first, it never returns: the process is ending, and the
        /// handler is using the mapping and frees the entry itself.
        func remove() {
            var current = status.load(ordering: .relaxed)
            while current != Status.detaching.rawValue {
                let (done, actual) = status.compareExchange(expected: current, desired: Status.free.rawValue, ordering: .acquiringAndReleasing)
                if done { return }
                current = actual
            }
            while true { _ = pause() }
        }
    }
}
