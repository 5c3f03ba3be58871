/// The byte layout of a channel segment, shared by every process that maps it.
///
/// A ring segment is one 4 KiB header page, then the client table (64 bytes per client, as many
/// as `max-clients` allows, rounded up to a page), then one 16-byte descriptor per slot, then the
/// slots' payloads, each starting on a cache line of its own. A seed descriptor is the header
/// page and the client table. The header starts
/// with identification (magic, version, word size, geometry) that a client checks before it
/// trusts anything else; the two cursors and the two waiter counts sit on cache lines of their
/// own so writers and readers do not invalidate each other's lines.
///
///     offset  field
///     0       magic            u64   "SHMDRING" (ring) or "SHMDSEED" (seed descriptor)
///     8       version          u32
///     12      wordSize         u32   MemoryLayout<Int>.size of the creator
///     16      headerSize       u32
///     20      kind             u32   ChannelKind
///     24      slotCount        u32
///     28      slotSize         u32   payload bytes per slot
///     32      slotStride       u32   bytes from one slot to the next
///     36      protocol         u32   ChannelProtocol
///     40      totalSize        u64
///     48      state            u32   ChannelState (atomic)
///     52      daemonPid        i32
///     56      daemonStart      u64   start time of the daemon process, clock ticks since boot
///     64      generation       u64   incremented each time a daemon takes the channel over
///     72      createdAt        u64   CLOCK_REALTIME nanoseconds
///     80      clientCapacity   u32   entries in the client table (`max-clients`)
///     88      spinNanoseconds  u64   how long a fast-protocol client spins before it blocks
///     96      bootID           16 bytes: /proc/sys/kernel/random/boot_id of the daemon's boot
///     112     stuckAfter       u64   milliseconds a held slot may stay held before shmd reports it
///                                    stuck (`stuck-after`; 0: the default, 5 s); shmd rewrites it on reload
///     120     delivery         u32   Delivery: 0 queue, 1 fanout that blocks, 2 fanout that drops
///     128     counters         u64 × 8: (reserved), (reserved), dropped, abandoned, redelivered, pending redelivery,
///                                    restored units, dead clients; written and read are the cursors
///     192     restoredRead     u64   classic: ticket + 1 of the last message whose lost `full` unit was restored
///     200     restoredWrite    u64   classic: ticket + 1 of the last slot whose lost `empty` unit was restored
///     208     failedWakeups    u64   wake-ups (sem_post) that failed, counted by whoever posted
///     216     lost             u64   fanout: messages readers skipped because writers lapped them
///     224     joins            u64   fanout: readers that joined (writers re-read the readers' cursors when it moves)
///     256     writeCursor      u64   next ticket a writer takes (own cache line)
///     320     readCursor       u64   next ticket a reader takes (own cache line); fanout: unused, each
///                                    reader's cursor is in its client-table entry
///     384     writersWaiting   u32   writers blocked on `empty` (fast protocol)
///     448     readersWaiting   u32   readers blocked on `full` (fast protocol)
///     512     seed names       3 × 256 bytes, NUL-terminated: segment, sem-empty, sem-full
///     1536    (reserved: the client table of layout 3)
///     4096    clients          clientCapacity × 64 bytes: ClientTable (pid, role, start time, held
///                              tickets, waiting), rounded up to a 4 KiB page
///     …       descriptors      slotCount × 16 bytes: sequence u64, length u32, flags u32
///                              (rounded up to a 4 KiB page)
///     …       payloads         slotCount × slotStride: the slot's bytes, cache-line (64) aligned
///
/// Keeping the descriptors apart from the payloads is what lets a 64-byte message occupy exactly
/// one cache line: with the descriptor in front of it, it spanned two, and every message moved
/// two lines between the writer's and the reader's cores (12 M against 18 M messages/s for 48
/// bytes, which did fit one line, in the same run). Four descriptors share a line, which the
/// reader scans with one miss per four messages.
///
/// A slot's flags are `SlotFlags`: a slot published as abandoned holds no message; readers skip it.
package enum Layout {
    package static let ringMagic: UInt64 = 0x474E_4952_444D_4853 // "SHMDRING" little-endian
    package static let seedMagic: UInt64 = 0x4445_4553_444D_4853 // "SHMDSEED" little-endian
    /// Bumped on any change a reader of an older layout would misread. 4: the client table
    /// left the header page for a region of its own, sized by `max-clients`. 5: fan-out
    /// delivery (a client of layout 4 would take a fan-out channel for a queue).
    package static let version: UInt32 = 5
    package static let headerSize = 4096
    package static let cacheLine = 64

    /// Byte offset of each header field (the table above). Package access: the fuzz targets write fuzz bytes at these offsets of a live header.
    package enum Offset {
        package static let magic = 0
        package static let version = 8
        package static let wordSize = 12
        package static let headerSize = 16
        package static let kind = 20
        package static let slotCount = 24
        package static let slotSize = 28
        package static let slotStride = 32
        package static let `protocol` = 36
        package static let totalSize = 40
        package static let state = 48
        package static let daemonPid = 52
        package static let daemonStart = 56
        package static let generation = 64
        package static let createdAt = 72
        package static let clientCapacity = 80
        package static let spinNanoseconds = 88
        package static let bootID = 96
        package static let stuckAfter = 112
        package static let delivery = 120
        package static let counters = 128
        package static let restoredRead = 192
        package static let restoredWrite = 200
        package static let failedWakeups = 208
        package static let lost = 216
        package static let joins = 224
        package static let writeCursor = 256
        package static let readCursor = 320
        package static let writersWaiting = 384
        package static let readersWaiting = 448
        package static let seedNames = 512
        package static let seedNameLength = 256
        package static let clients = Layout.headerSize
    }

    /// Bytes of each slot's descriptor: sequence (8), length (4), flags (4).
    package static let slotDescriptorSize = 16
    package static let pageSize = 4096

    /// Default spin budget of the fast protocol: about twice what a cross-core wake-up costs on
    /// a typical VM (20–25 µs), so that a peer that is merely slower never pays for a sleep.
    package static let defaultSpinNanoseconds: UInt64 = 50_000
    /// `stuck-after` when neither `[daemon]` nor the channel sets it: a slot held this long is
    /// reported stuck.
    package static let defaultStuckAfterSeconds: Double = 5
    package static let spinRange: ClosedRange<UInt64> = 0...10_000_000

    /// Smallest and largest geometry shmd accepts; beyond these a config is an error.
    package static let slotCountRange = 1...65_536
    package static let slotSizeRange = 1...(64 << 20)
    package static let maximumTotalSize = 4 << 30

    /// Bytes from one slot's payload to the next: the slot size rounded up to a cache line.
    package static func slotStride(slotSize: Int) -> Int {
        roundUp(slotSize, to: cacheLine)
    }

    /// Bytes of the descriptor array, rounded up to a page so that payloads start page-aligned.
    package static func descriptorsSize(slotCount: Int) -> Int {
        roundUp(slotCount * slotDescriptorSize, to: pageSize)
    }

    /// How many clients a channel's table records unless its config says otherwise
    /// (`max-clients`), and the most it may say: 64 fill one page.
    package static let defaultClientCapacity = 64
    package static let clientCapacityRange = 1...4096

    /// Bytes of the client table, rounded up to a page so that the descriptors start page-aligned.
    package static func clientTableSize(clientCapacity: Int) -> Int {
        roundUp(clientCapacity * ClientTable.entrySize, to: pageSize)
    }

    /// Where the slot descriptors start.
    package static func descriptorsOffset(clientCapacity: Int) -> Int {
        headerSize + clientTableSize(clientCapacity: clientCapacity)
    }

    /// Size of a ring segment with this geometry.
    package static func ringSize(slotCount: Int, slotSize: Int, clientCapacity: Int) -> Int {
        descriptorsOffset(clientCapacity: clientCapacity) + descriptorsSize(slotCount: slotCount)
            + slotCount * slotStride(slotSize: slotSize)
    }

    /// Size of a seed channel's descriptor segment: the header page and the client table.
    package static func seedDescriptorSize(clientCapacity: Int) -> Int {
        headerSize + clientTableSize(clientCapacity: clientCapacity)
    }

    private static func roundUp(_ value: Int, to multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }

    /// The seed's `shm_data`: one 1024-byte buffer holding a C string (`SHM_SIZE` in shm_sem.h).
    package static let seedBufferSize = 1024
}

/// What a segment named `/prefix.channel` is.
public enum ChannelKind: UInt32, Sendable {
    /// A ring of slots in this segment.
    case ring = 1
    /// A descriptor pointing at a seed-layout segment and semaphores named in the config.
    case seed = 2
}

/// How writers and readers coordinate on a ring.
public enum ChannelProtocol: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// The seed's protocol over N slots: one `sem_wait`/`sem_post` pair per message.
    case classic = 1
    /// Atomic cursors carry the messages; a side with nothing to do spins for a bounded time,
    /// then announces that it waits and blocks on its semaphore, which the other side posts
    /// only when a waiter is announced. See `FastRing.swift`.
    case fast = 2

    /// `classic` or `fast`, as the `protocol` key of shmd.toml spells it.
    public var description: String { self == .classic ? "classic" : "fast" }
}

/// Per-slot flags, in the slot's descriptor next to the length.
enum SlotFlags {
    /// Published without a message: its writer gave it up (threw in `write`, or died and the
    /// daemon released the slot). Readers skip it and count it abandoned.
    static let abandoned: UInt32 = 1
}

/// Life cycle of a channel, written by the daemon, read by every client before it blocks.
public enum ChannelState: UInt32, Sendable {
    /// shmd is still writing the header: a client treats the channel as not there yet and, if
    /// it was given a `wait:`, waits for it to open.
    case initializing = 0
    /// The channel carries messages.
    case open = 1
    /// The daemon is removing the channel: writers stop, readers drain what is left and stop.
    case closing = 2
    /// The daemon found the channel damaged (truncated, or its shared state impossible) and is
    /// replacing it: clients stop with an error that says so.
    case failed = 3
}
