#if canImport(Glibc)
import Glibc
#endif

/// A channel a client has found, validated and opened: the shared part of `ChannelWriter` and
/// `ChannelReader`.
final class AttachedChannel: @unchecked Sendable {
    let names: ChannelNames
    /// The ring, or the descriptor of a seed channel.
    let segment: SharedMemorySegment
    let header: ChannelHeader
    let empty: NamedSemaphore
    let full: NamedSemaphore
    let body: Body
    private let registration: Int?
    /// This client's entry in the header's table, where it records what it holds; `nil` when the
    /// table was full (the client works, but the daemon cannot repair after it).
    let entry: ClientEntry?
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

    /// Largest message a slot holds (the seed's buffer holds a C string: 1023 bytes and a NUL).
    var slotSize: Int { Int(header.slotSize) }

    /// Finds channel `names`, waiting up to `wait` seconds for the daemon to create it.
    ///
    /// - Throws: `ChannelError`: `.notFound` or `.emptySegment` after the wait, `.headerMismatch`,
    ///   `.permissionDenied`, `.system`.
    init(names: ChannelNames, role: ClientRole, wait: Double?, waitSlice: UInt64 = SlicedWait.slice) throws {
        self.names = names
        self.waitSlice = waitSlice
        let deadline = Deadline.after(seconds: wait ?? 0)!
        var segment: SharedMemorySegment
        var zeroBytes = false   // the last look found the segment with 0 bytes
        while true {
            do {
                segment = try SharedMemorySegment.open(name: names.segment)
                let header = ChannelHeader(base: segment.base)
                // A header the daemon has not finished (its state still `initializing`, set `open`
                // last) is treated as not there yet; its geometry is read only after that. A
                // header that is not ours at all is left to validation to describe.
                let ours = header.magic == 0
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
            if deadline.hasPassed {
                if zeroBytes { throw ChannelError.emptySegment(channel: names.channel, object: names.segment) }
                throw ChannelError.notFound(channel: names.channel, object: names.segment, waited: wait ?? 0)
            }
            usleep(20_000)
        }
        self.segment = segment
        header = ChannelHeader(base: segment.base)
        try HeaderValidation.validate(header, mappedSize: segment.size, channel: names.channel)
        do {
            if header.magic == Layout.seedMagic {
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
            } else {
                empty = try NamedSemaphore.open(name: names.semaphoreEmpty)
                full = try NamedSemaphore.open(name: names.semaphoreFull)
                body = .ring(Ring(header: header))
            }
        } catch let error as SystemCallError {
            throw ChannelError.from(error, channel: names.channel)
        }
        let table = header.clientTable
        let index = table.register(process, role: role)
        registration = index
        entry = index.map { table.entry($0) }
        tracked = AttachmentRegistry.register(table: table, index: index, process: process)
    }

    deinit {
        tracked?.remove()   // first: a signal handler then never frees the entry this frees
        if let registration { header.clientTable.unregister(registration, process: process) }
    }

    /// How this channel moves messages, decided once from the header: exactly one is set.
    struct Disciplines {
        let fast: FastRing?
        let classic: ClassicRing?
        let seed: SharedMemorySegment?
    }

    var disciplines: Disciplines {
        switch body {
        case let .ring(ring) where ring.header.protocolRaw == ChannelProtocol.fast.rawValue:
            return Disciplines(fast: FastRing(ring: ring, attached: self), classic: nil, seed: nil)
        case let .ring(ring):
            return Disciplines(fast: nil, classic: ClassicRing(ring: ring, attached: self), seed: nil)
        case let .seed(buffer):
            return Disciplines(fast: nil, classic: nil, seed: buffer)
        }
    }

    /// True once the daemon closed the channel or its objects are gone.
    var isClosed: Bool {
        if header.isClosing || segment.isUnlinked { return true }
        if case let .seed(buffer) = body, buffer.isUnlinked { return true }
        return false
    }

    /// Passes a closing wake-up on to the next waiter on `semaphore` (see `HostedChannel.close`).
    func relayClose(on semaphore: NamedSemaphore) {
        if case .ring = body { try? semaphore.post() }
    }

    /// Turns a failed call during traffic into the user-facing error.
    func failure(_ error: Error) -> Error {
        if let error = error as? SystemCallError { return ChannelError.from(error, channel: channel) }
        return error
    }
}
