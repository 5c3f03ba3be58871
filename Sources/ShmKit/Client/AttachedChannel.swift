#if canImport(Glibc)
import Glibc
#endif

/// A channel a client has found, validated and opened: the shared part of `ChannelWriter` and
/// `ChannelReader`.
final class AttachedChannel {
    let names: ChannelNames
    /// The ring, or the descriptor of a seed channel.
    let segment: SharedMemorySegment
    let header: ChannelHeader
    let empty: NamedSemaphore
    let full: NamedSemaphore
    let body: Body
    let clientTable: ClientTable
    /// A fan-out client's own side: its cursor and losses, or its gate (see `FanoutRing`).
    let fanout = FanoutState()
    /// This waiter's adaptive spin, process-local (`SpinBudget`): the fast protocol's.
    let spinBudget = LocalCell(SpinBudget())
    /// What this writer knows of the slots ahead of the write cursor (`FreeSlotRun`): the fast protocol's.
    let freeSlotRun = LocalCell(FreeSlotRun())
    private let registration: Int
    /// This client's entry in the header's table, where it records what it holds. Every client
    /// has one: a client without a record could not be repaired after it dies, so a full table
    /// refuses the attach instead.
    let entry: ClientEntry
    /// Where a termination signal's handler sees this attachment (`ClientSignals`).
    let tracked: AttachmentRegistry.Slot?
    private let process = ProcessIdentity.current
    /// Longest single sleep on a semaphore before looking at the channel's state again.
    let waitSlice: UInt64

    enum Body {
        case ring(Ring)
        case seed(SharedMemorySegment)
    }

    var channel: String { names.channel }

    /// Largest message a slot holds (the seed's buffer holds a C string: 1023 bytes and a NUL),
    /// as validated at attach time: the header's copy may be rewritten under us.
    let slotSize: Int

    /// Finds channel `names`, waiting up to `wait` seconds for the daemon to create it.
    ///
    /// - Throws: `ChannelError`: `.notFound` or `.emptySegment` after the wait, `.headerMismatch`,
    ///   `.permissionDenied`, `.system`.
    init(names: ChannelNames, role: ClientRole, waitSeconds wait: Double?, waitSlice: UInt64 = SlicedWait.slice) throws {
        self.names = names
        self.waitSlice = waitSlice
        let deadline = Deadline.after(seconds: wait ?? 0) // nil: wait forever
        var segment: SharedMemorySegment
        var zeroBytes = false // the last look found the segment with 0 bytes
        while true {
            do {
                segment = try SharedMemorySegment.open(name: names.segment)
                let header = ChannelHeader(base: segment.base)
                // A header the daemon has not finished (its state still `initializing`, set `open`
                // last) is treated as not there yet; its geometry is read only after that. A
                // header that is not ours at all is left to validation to describe.
                let ours =
                    header.magic == 0
                    || ((header.magic == Layout.ringMagic || header.magic == Layout.seedMagic) && header.version == Layout.version)
                if !ours || header.state != .initializing { break }
            } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
                zeroBytes = false
            } catch let error as SystemCallError where error.errno == .invalidArgument && error.call == "mmap" {
                // Size 0: created, not yet sized; still so after the wait, it was truncated.
                zeroBytes = true
            } catch let error as SystemCallError {
                throw ChannelError.from(error, channel: names.channel)
            }
            if let deadline, deadline.hasPassed {
                if zeroBytes { throw ChannelError.emptySegment(channel: names.channel, object: names.segment) }
                throw ChannelError.notFound(channel: names.channel, object: names.segment, waited: wait ?? 0)
            }
            usleep(GracePeriod.attachPollMicroseconds)
        }
        self.segment = segment
        header = ChannelHeader(base: segment.base)
        let geometry = try HeaderValidation.validate(header, mappedSize: segment.size, channel: names.channel)
        slotSize = geometry.ring?.slotSize ?? SeedBuffer.capacity
        do {
            if let ring = geometry.ring {
                empty = try NamedSemaphore.open(name: names.semaphoreEmpty)
                full = try NamedSemaphore.open(name: names.semaphoreFull)
                body = .ring(Ring(header: header, geometry: ring))
            } else {
                let seed = header.seedNames
                let buffer = try SharedMemorySegment.open(name: seed.segment)
                guard buffer.size >= Layout.seedBufferSize else {
                    throw ChannelError.headerMismatch(
                        channel: names.channel, field: "seed segment \(seed.segment) size",
                        expected: "\(Layout.seedBufferSize) bytes", found: "\(buffer.size) bytes")
                }
                empty = try NamedSemaphore.open(name: seed.semaphoreEmpty)
                full = try NamedSemaphore.open(name: seed.semaphoreFull)
                body = .seed(buffer)
            }
        } catch let error as SystemCallError {
            throw ChannelError.from(error, channel: names.channel)
        }
        let table = header.clientTable(capacity: geometry.clientCapacity)
        guard let index = table.register(process, role: role) else {
            throw ChannelError.tooManyClients(channel: names.channel, limit: table.capacity)
        }
        clientTable = table
        registration = index
        entry = table.entry(index)
        tracked = AttachmentRegistry.register(table: table, index: index, process: process)
    }

    deinit {
        tracked?.remove() // first: a signal handler then never frees the entry this frees
        clientTable.unregister(registration, process: process)
    }

    /// What a writer and a reader each do first: checks `wait`, finds and validates channel
    /// `channel` under `prefix`, registers in its client table as `role`, and picks the
    /// protocol.
    ///
    /// - Throws: `ChannelError.invalidArgument` for a nan or negative `wait`, `.invalidName`,
    ///   and what `init(names:role:waitSeconds:waitSlice:)` throws.
    static func attach(
        channel: String, prefix: String, role: ClientRole, waitSeconds wait: Double?,
        waitSlice: UInt64
    ) throws -> (AttachedChannel, Discipline) {
        try SecondsArgument.check(wait, argument: "wait", channel: channel)
        let attached = try AttachedChannel(
            names: ChannelNames(prefix: prefix, channel: channel), role: role,
            waitSeconds: wait, waitSlice: waitSlice)
        return (attached, attached.discipline)
    }

    /// How this channel moves messages, decided once from the header.
    var discipline: Discipline {
        switch body {
        case let .ring(ring) where ring.header.protocolRaw == ChannelProtocol.fast.rawValue:
            let fast = FastRing(ring: ring, attached: self)
            // Validation accepted the delivery word: 0 (queue) or a policy.
            if case let .fanout(policy)? = Delivery(rawValue: header.deliveryRaw) {
                return .fanout(FanoutRing(fast: fast, policy: policy, state: fanout))
            }
            return .fast(fast)
        case let .ring(ring):
            return .classic(ClassicRing(ring: ring, attached: self))
        case let .seed(buffer):
            return .seed(SeedBuffer(buffer: buffer, attached: self))
        }
    }

    /// True once the daemon closed the channel or its objects are gone.
    var isClosed: Bool {
        header.isClosing || mappedSegments.contains { $0.isUnlinked }
    }

    /// What a client that found the channel closed tells its caller: that shmd closed it, or
    /// that it is damaged (truncated, its state overwritten, or replaced by shmd for that), since
    /// a damaged channel looks closed to every wait.
    var closure: ChannelError { damage ?? .closed(channel: channel) }

    /// A reader at the end of the channel: `nil` (no more messages) when shmd closed it, the
    /// damage when it is damaged, so that a reader never takes a destroyed channel for a drained one.
    ///
    /// - Throws: the `ChannelError` of `damage`.
    func endOfStream() throws -> Int? {
        if let damage { throw damage }
        return nil
    }

    /// Why the channel cannot be used any more other than a close by shmd, or `nil`.
    var damage: ChannelError? {
        for mapped in mappedSegments where mapped.isTruncated {
            let size = (try? mapped.currentSize()) ?? 0
            return .truncated(channel: channel, object: mapped.name, size: size, expected: mapped.size)
        }
        for semaphore in [empty, full] where semaphore.isTruncated {
            return .corrupt(channel: channel, detail: "semaphore \(semaphore.name) was truncated")
        }
        switch header.stateRaw {
        case ChannelState.open.rawValue, ChannelState.closing.rawValue: return nil
        case ChannelState.failed.rawValue:
            return .corrupt(channel: channel, detail: "shmd found it damaged and replaced it")
        case let other:
            return .corrupt(channel: channel, detail: "its state is \(other), which is neither 1 (open) nor 2 (closing)")
        }
    }

    /// The segments this client maps: the ring, or a seed channel's descriptor and buffer.
    private var mappedSegments: [SharedMemorySegment] {
        if case let .seed(buffer) = body { return [segment, buffer] }
        return [segment]
    }

    /// Passes a closing wake-up on to the next waiter on `semaphore` (see `HostedChannel.close`).
    func relayClose(on semaphore: NamedSemaphore) {
        if case .ring = body { header.wake { try semaphore.post() } }
    }

    /// Turns a failed call during traffic into the user-facing error.
    func failure(_ error: Error) -> Error {
        if let error = error as? SystemCallError { return ChannelError.from(error, channel: channel) }
        return error
    }
}
