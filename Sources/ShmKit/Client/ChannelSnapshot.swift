/// What a channel's header says right now, read without attaching to the channel: for the
/// daemon's status line, for tools that show channels, and for tests that must wait until a
/// client is attached.
///
/// Each field is read once, at `init`, and not all at the same instant: on a busy channel the
/// counters, the queue and the clients may each be a moment apart.
public struct ChannelSnapshot: Sendable {
    /// The channel's name, as given to ``init(channel:prefix:)``.
    public let channel: String
    /// What the channel's segment holds: a ring of slots, or the descriptor of a channel in the
    /// seed's layout.
    public let kind: ChannelKind
    /// The channel's life-cycle state, or `nil` for a state word this build does not know
    /// (a header someone with write access rewrote).
    public let state: ChannelState?
    /// How many messages the channel holds at once: the ring's `slots`, 1 for a seed channel.
    public let slotCount: Int
    /// The largest message the channel takes, in bytes: the ring's `slot-size`, 1023 for a seed
    /// channel (its 1024-byte buffer holds a C string and its NUL).
    public let slotSize: Int
    /// How many clients its table records at most (`max-clients`).
    public let clientCapacity: Int
    /// The header's protocol word as stored: `ChannelProtocol(rawValue: protocolRaw)` is the
    /// ring's ``ChannelProtocol`` (`nil` for a value this build does not know). A seed channel's
    /// header says classic, the seed's own protocol.
    public let protocolRaw: UInt32
    /// Who gets each message, or `nil` for a header word this build does not know.
    public let delivery: Delivery?
    /// Messages in the ring, written and not yet taken by a reader (fan-out: not yet read by
    /// the slowest attached reader).
    public let queued: UInt64
    /// Messages published and not yet released: the queued ones and those in a reader's hands
    /// (a reader releases a slot after its body ran). Zero: every message taken has been handled.
    public let unreleased: Int
    /// Every count the header keeps, by ``ChannelCounter`` (written and read are the cursors).
    public let counters: [ChannelCounter: UInt64]
    /// The shmd process that owns the channel, as the header records it since shmd created or
    /// last adopted it.
    public let daemon: ProcessIdentity
    /// How many daemons have owned the channel: 1 when shmd created it, one more each time a
    /// restarted shmd adopted it.
    public let generation: UInt64
    /// The clients attached now, as the channel's client table records them (one still
    /// registering is left out).
    public let clients: [ClientRecord]
    /// Readers asleep on the `full` semaphore waiting for a message, as the fast protocol
    /// counts them; classic clients are not counted.
    public let sleepingReaders: Int
    /// Writers asleep on the `empty` semaphore waiting for a free slot, as the fast protocol
    /// counts them; classic clients are not counted.
    public let sleepingWriters: Int
    /// Wake-ups (`sem_post`) that failed since the channel was created: a damaged or removed
    /// semaphore. Waiters still look again every 200 ms, so messages are late, not lost.
    public let failedWakeups: UInt64
    /// What each attached client holds now (tickets claimed and not yet published or released),
    /// and for how long shmd's sweeps have seen it held, by client table entry.
    package let holdings: [ClientHolding]
    /// `stuck-after` as the owning shmd wrote it: a slot held longer is reported stuck.
    package let stuckAfterSeconds: Double
    /// The mean length of the last messages written (up to 4096 of them, as many as the ring's
    /// slot descriptors still record), in bytes; `nil` before the first one. The header counts
    /// messages, not bytes (a shared byte counter would cost every message a contended atomic
    /// add), so byte rates are this times the message rate: an estimate.
    package let recentMessageBytes: Double?
    /// Fan-out: where each joined reader is, by client table entry.
    package let fanoutReaders: [FanoutReaderPosition]

    /// Reads the header of channel `channel` under `prefix` without attaching to it: it maps the
    /// segment (`shm_open(3)`, `fstat(2)`, `mmap(2)`) and validates the header, and takes no
    /// entry in the client table and no semaphore.
    ///
    /// - Parameters:
    ///   - channel: the channel's name in shmd's config (`demo`).
    ///   - prefix: the daemon's `prefix` (`[daemon]` in shmd.toml).
    /// - Throws: `ChannelError`: `.invalidName` (a name that cannot be a POSIX IPC name),
    ///   `.notFound` (no such channel; it does not wait), `.permissionDenied`, `.headerMismatch`
    ///   (not a channel this version understands), `.system` (another failed call, such as
    ///   `mmap` on a segment of 0 bytes).
    public init(channel: String, prefix: String = ChannelNames.defaultPrefix) throws {
        let names = try ChannelNames(prefix: prefix, channel: channel)
        let segment: SharedMemorySegment
        do {
            segment = try SharedMemorySegment.open(name: names.segment)
        } catch let error as SystemCallError {
            throw ChannelError.from(error, channel: channel)
        }
        let header = ChannelHeader(base: segment.base)
        let geometry = try HeaderValidation.validate(header, mappedSize: segment.size, channel: channel)
        self.init(channel: channel, header: header, geometry: geometry)
        withExtendedLifetime(segment) {}
    }

    /// - Parameter geometry: as validated (not re-read from the header).
    init(channel: String, header: ChannelHeader, geometry: ChannelGeometry) {
        self.channel = channel
        kind = geometry.ring == nil ? .seed : .ring
        state = header.state
        slotCount = geometry.ring?.slotCount ?? 1
        slotSize = geometry.ring?.slotSize ?? Layout.seedBufferSize - 1
        clientCapacity = geometry.clientCapacity
        protocolRaw = header.protocolRaw
        delivery = Delivery(rawValue: header.deliveryRaw)
        let written = header.writeCursor.load(ordering: .acquiring)
        let table = header.clientTable(capacity: geometry.clientCapacity)
        let positions = (delivery?.isFanout ?? false) ? Self.positions(table, written: written) : []
        fanoutReaders = positions
        let read = (delivery?.isFanout ?? false) ? positions.map(\.nextTicket).min() ?? written : header.readCursor.load(ordering: .acquiring)
        queued = kind == .ring && written > read ? min(written - read, UInt64(geometry.ring?.slotCount ?? 1)) : 0
        unreleased = geometry.ring.map { Ring(header: header, geometry: $0).publishedCount() } ?? 0
        var counts = Dictionary(uniqueKeysWithValues: ChannelHeader.Counter.allCases.map { ($0, header.counter($0)) })
        if delivery?.isFanout ?? false { counts[.read] = read } // no shared read cursor: the slowest reader's
        counters = counts
        daemon = ProcessIdentity(pid: header.daemonPid, startTime: header.daemonStart)
        generation = header.generation
        clients = header.clientTable(capacity: geometry.clientCapacity).records
        sleepingReaders = Int(header.readersWaiting.load(ordering: .relaxed))
        sleepingWriters = Int(header.writersWaiting.load(ordering: .relaxed))
        failedWakeups = header.failedWakeups.load(ordering: .relaxed)
        stuckAfterSeconds = header.stuckAfterSeconds
        recentMessageBytes = geometry.ring.flatMap { ring in
            let sampled = min(written, UInt64(min(ring.slotCount, 4096)))
            guard sampled > 0 else { return nil }
            let view = Ring(header: header, geometry: ring)
            var total = 0
            for ticket in (written - sampled)..<written {
                total += min(Int(view.descriptor(ticket).load(fromByteOffset: 8, as: UInt32.self)), ring.slotSize)
            }
            return Double(total) / Double(sampled)
        }
        let now = SystemClock.monotonicNanoseconds()
        let gate = delivery == .fanout(.block) ? geometry.ring.map { (written: written, slots: UInt64($0.slotCount)) } : nil
        holdings = clients.compactMap { record in
            let entry = table.entry(record.slot)
            let readerGate = record.role == .reader ? gate : nil
            let held: Range<UInt64>
            if readerGate != nil {
                let mark = entry.holdingMark(gate: readerGate)
                guard mark != 0 else { return nil }
                held = (mark - 1)..<mark
            } else {
                guard let tickets = entry.held else { return nil }
                held = tickets
            }
            let slot = geometry.ring.map { Int(held.lowerBound % UInt64($0.slotCount)) } ?? 0
            return ClientHolding(entry: record.slot, tickets: held, slot: slot, heldNanoseconds: entry.heldFor(now: now, gate: readerGate))
        }
    }
}

extension ChannelSnapshot {
    /// The fan-out readers' cursors and losses, as their entries say now.
    static func positions(_ table: ClientTable, written: UInt64) -> [FanoutReaderPosition] {
        (0..<table.capacity).compactMap { index in
            let entry = table.entry(index)
            let cursor = entry.cursor.load(ordering: .acquiring)
            guard cursor != 0, entry.pid.load(ordering: .relaxed) != 0 else { return nil }
            let next = cursor - 1
            return FanoutReaderPosition(entry: index, nextTicket: next, behind: written > next ? written - next : 0, lost: entry.lost.load(ordering: .relaxed))
        }
    }
}

/// Where a fan-out reader is: what it reads next, how far behind the writers, what it lost.
package struct FanoutReaderPosition: Equatable, Sendable {
    /// The reader's entry in the client table (`ClientRecord.slot`).
    package let entry: Int
    /// The ticket it reads next.
    package let nextTicket: UInt64
    /// Messages written that it has not read yet.
    package let behind: UInt64
    /// Messages it lost to writers that lapped it (`slow-reader = "drop"`).
    package let lost: UInt64
}

/// Tickets a client holds: slots a writer claimed and has not published, or messages a reader
/// took and has not released.
package struct ClientHolding: Equatable, Sendable {
    /// The client's entry in the client table (`ClientRecord.slot`).
    package let entry: Int
    /// The tickets held, as the client recorded them (clamped by nobody: for display).
    package let tickets: Range<UInt64>
    /// The ring slot of the first held ticket.
    package let slot: Int
    /// How long shmd's sweeps have seen this holding, in nanoseconds; `nil` until one has.
    package let heldNanoseconds: UInt64?
}
