/// What a channel's header says right now: for `shmctl`, for the daemon's status line, and for
/// tests that must wait until a client is attached.
public struct ChannelSnapshot: Sendable {
    public let channel: String
    public let kind: ChannelKind
    public let state: ChannelState?
    public let slotCount: Int
    public let slotSize: Int
    /// How many clients its table records at most (`max-clients`).
    public let clientCapacity: Int
    public let protocolRaw: UInt32
    /// Messages in the ring, written and not yet taken by a reader.
    public let queued: UInt64
    /// Messages published and not yet released: the queued ones and those in a reader's hands
    /// (a reader releases a slot after its body ran). Zero: every message taken has been handled.
    public let unreleased: Int
    public let counters: [ChannelCounter: UInt64]
    public let daemon: ProcessIdentity
    public let generation: UInt64
    public let clients: [ClientRecord]
    /// Clients asleep on the channel's semaphores, as the fast protocol counts them (a reader
    /// waiting for a message, a writer for a free slot); classic clients are not counted.
    public let sleepingReaders: Int
    public let sleepingWriters: Int
    /// Wake-ups (`sem_post`) that failed since the channel was created: a damaged or removed
    /// semaphore. Waiters still look again every 200 ms, so messages are late, not lost.
    public let failedWakeups: UInt64

    /// Reads the header of channel `channel` under `prefix` without attaching to it.
    ///
    /// - Throws: `ChannelError` (`.notFound`, `.headerMismatch`, `.permissionDenied`).
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
        let written = header.writeCursor.load(ordering: .acquiring)
        let read = header.readCursor.load(ordering: .acquiring)
        queued = kind == .ring && written > read ? written - read : 0
        unreleased = geometry.ring.map { Ring(header: header, geometry: $0).publishedCount() } ?? 0
        counters = Dictionary(uniqueKeysWithValues: ChannelHeader.Counter.allCases.map { ($0, header.counter($0)) })
        daemon = ProcessIdentity(pid: header.daemonPid, startTime: header.daemonStart)
        generation = header.generation
        clients = header.clientTable(capacity: geometry.clientCapacity).records
        sleepingReaders = Int(header.readersWaiting.load(ordering: .relaxed))
        sleepingWriters = Int(header.writersWaiting.load(ordering: .relaxed))
        failedWakeups = header.failedWakeups.load(ordering: .relaxed)
    }
}
