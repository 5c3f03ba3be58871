import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// A channel as its owner, the daemon, holds it: the objects it created, mapped and open, until
/// it closes the channel and unlinks them.
///
/// No message passes through the owner; it only creates, watches and removes.
package final class HostedChannel {
    package let spec: ChannelSpec
    package let names: ChannelNames
    /// The ring, or the descriptor of a seed channel.
    let segment: SharedMemorySegment
    let seedBuffer: SharedMemorySegment?
    /// The `empty` and `full` semaphores. Package access: the repair fuzz target resets them, and the pending work below, before each input.
    package let empty: NamedSemaphore
    package let full: NamedSemaphore
    /// Messages a dead reader held, waiting for free slots (see `repairDeadClients`).
    package var pendingRedeliveries: [[UInt8]] = []
    /// Tickets a dead classic client took ahead (see `repairDeadClients`), settled once ready.
    package var pendingOrphans: [(ticket: UInt64, role: ClientRole)] = []
    /// The owner and generation this daemon wrote into the header, kept here to compare with
    /// what the header says later (see `inspectDamage`).
    package private(set) var owner = ProcessIdentity(pid: 0, startTime: 0)
    package private(set) var generation: UInt64 = 0

    package var header: ChannelHeader { ChannelHeader(base: segment.base) }

    /// The ring, with the geometry shmd created it with (never the header's, which anyone with
    /// write access may have rewritten since); `nil` for a seed channel.
    package var ring: Ring? { spec.ringGeometry.map { Ring(header: header, geometry: $0) } }

    /// Wraps the objects of a channel just created or adopted.
    init(
        spec: ChannelSpec, names: ChannelNames, segment: SharedMemorySegment,
        seedBuffer: SharedMemorySegment?, empty: NamedSemaphore, full: NamedSemaphore
    ) {
        self.spec = spec
        self.names = names
        self.segment = segment
        self.seedBuffer = seedBuffer
        self.empty = empty
        self.full = full
    }

    /// Writes `daemon` and `generation` into the header as its owner, and remembers them.
    func setOwner(_ daemon: ProcessIdentity, generation: UInt64) {
        header.setOwner(daemon, generation: generation)
        owner = daemon
        self.generation = generation
    }

    /// Objects found under the channel's names before it was created, and removed.
    package struct Leftover: Equatable, Sendable {
        package let object: IPCObject
        /// What it was: owner, group, mode, and whether a file or a symbolic link.
        package let found: ObjectOwnership
        /// Why shmd would not have taken it for its own (another owner, a wider mode, a link),
        /// or `nil` for a leftover of an earlier shmd.
        package let foreign: String?
    }

    /// How the daemon came to hold the channel.
    package enum Origin: Equatable, Sendable {
        /// Made anew; `leftovers` are objects of an earlier run that were in the way.
        case created(leftovers: [Leftover])
        /// Taken over from a daemon that died: same objects, same messages, same clients.
        case adopted(previousDaemon: Int32, generation: UInt64, queued: UInt64)
        /// An earlier run's channel could not be adopted for `reason`; removed and made anew.
        case replaced(reason: String, leftovers: [Leftover])
    }

    /// Takes over the channel an earlier daemon left, when its header is valid, matches `spec`
    /// and that daemon is proven dead (same boot, its pid and start time gone): the objects,
    /// the queued messages and the attached clients carry on, and the generation goes up by one.
    /// Otherwise removes what is in the way and creates the channel anew (`create`).
    ///
    /// - Throws: `ChannelError.ownedByRunningDaemon` when the daemon that made the objects still
    ///   runs; `SystemCallError` when creating fails.
    package static func open(spec: ChannelSpec, prefix: String, daemon: ProcessIdentity) throws -> (HostedChannel, Origin) {
        let names = try ChannelNames(prefix: prefix, channel: spec.name)
        switch try ChannelAdoption.attempt(spec: spec, names: names, daemon: daemon) {
        case let .adopted(channel, previous, queued):
            return (channel, .adopted(previousDaemon: previous, generation: channel.header.generation, queued: queued))
        case let .refused(reason):
            let (channel, leftovers) = try create(spec: spec, prefix: prefix, daemon: daemon, generation: 1)
            return (channel, .replaced(reason: reason, leftovers: leftovers))
        case .nothing:
            let (channel, leftovers) = try create(spec: spec, prefix: prefix, daemon: daemon, generation: 1)
            return (channel, .created(leftovers: leftovers))
        }
    }

    /// Creates every object of `spec` under `prefix` with `O_EXCL`, after removing objects an
    /// earlier run left under the same names, and opens the channel (`state = open`) last, so a
    /// client never sees a half-made channel.
    ///
    /// - Returns: the channel and the leftovers it removed.
    /// - Throws: `SystemCallError` for the call that failed; whatever was created is removed again.
    package static func create(
        spec: ChannelSpec, prefix: String, daemon: ProcessIdentity, generation: UInt64
    ) throws -> (HostedChannel, [Leftover]) {
        let names = try ChannelNames(prefix: prefix, channel: spec.name)
        let leftovers = try removeLeftovers(try spec.objects(prefix: prefix), spec: spec)
        var created: [IPCObject] = []
        do {
            let channel: HostedChannel
            switch spec.layout {
            case let .ring(slots, slotSize, proto):
                // Classic counts free slots in `empty`; fast only sleeps on it, so it starts empty.
                let freeSlots = proto == .classic ? UInt32(slots) : 0
                let empty = try NamedSemaphore.create(name: names.semaphoreEmpty, value: freeSlots, permissions: spec.permissions)
                created.append(.semaphore(empty.name))
                let full = try NamedSemaphore.create(name: names.semaphoreFull, value: 0, permissions: spec.permissions)
                created.append(.semaphore(full.name))
                let size = spec.geometry.totalSize
                let segment = try SharedMemorySegment.create(name: names.segment, size: size, permissions: spec.permissions)
                created.append(.segment(segment.name))
                channel = HostedChannel(spec: spec, names: names, segment: segment, seedBuffer: nil, empty: empty, full: full)
                channel.header.initialize(
                    magic: Layout.ringMagic, kind: .ring, slotCount: slots, slotSize: slotSize, protocol: proto,
                    totalSize: size, clientCapacity: spec.clientCapacity, daemon: daemon, generation: generation,
                    createdAt: SystemClock.realtimeNanoseconds(),
                    spinNanoseconds: spec.spinNanoseconds, delivery: spec.delivery)
                channel.ring?.initializeSequences()

            case let .seed(segmentName, emptyName, fullName):
                // The seed's initial values: empty = 1 (the buffer may be written), full = 0.
                let empty = try NamedSemaphore.create(name: emptyName, value: 1, permissions: spec.permissions)
                created.append(.semaphore(empty.name))
                let full = try NamedSemaphore.create(name: fullName, value: 0, permissions: spec.permissions)
                created.append(.semaphore(full.name))
                let buffer = try SharedMemorySegment.create(name: segmentName, size: Layout.seedBufferSize, permissions: spec.permissions)
                created.append(.segment(buffer.name))
                let descriptor = try SharedMemorySegment.create(name: names.segment, size: spec.geometry.totalSize, permissions: spec.permissions)
                created.append(.segment(descriptor.name))
                channel = HostedChannel(spec: spec, names: names, segment: descriptor, seedBuffer: buffer, empty: empty, full: full)
                channel.header.initialize(
                    magic: Layout.seedMagic, kind: .seed, slotCount: 1, slotSize: Layout.seedBufferSize - 1,
                    protocol: .classic, totalSize: spec.geometry.totalSize, clientCapacity: spec.clientCapacity,
                    daemon: daemon, generation: generation,
                    createdAt: SystemClock.realtimeNanoseconds())
                channel.header.storeSeedNames(segment: segmentName, semaphoreEmpty: emptyName, semaphoreFull: fullName)
            }
            channel.owner = daemon
            channel.generation = generation
            channel.header.setStuckAfter(seconds: spec.stuckAfterSeconds)
            channel.header.setState(.open)
            return (channel, leftovers)
        } catch {
            for object in created { try? object.unlink() }
            throw error
        }
    }

    /// Marks the channel closing and wakes every client blocked on it.
    ///
    /// Ring clients are woken by one post on each semaphore; each client that wakes to a closing
    /// channel posts again before it leaves, so the wake-up passes along to every waiter.
    /// Seed semaphores are not posted: the seed's own reader would take a post for a message.
    /// Seed clients of shmd notice the closing state within their wait slice.
    package func close() {
        close(as: .closing)
    }

    /// Marks the channel failed (`inspectDamage` found it damaged) and wakes every client blocked
    /// on it, as `close` does, so that each stops with an error saying so.
    package func fail() {
        close(as: .failed)
    }

    private func close(as state: ChannelState) {
        header.setState(state)
        if case .ring = spec.layout {
            header.wake { try full.post() }
            header.wake { try empty.post() }
        }
        // Fan-out readers sleep on their slot's sequence word, not on `full`.
        if spec.delivery.isFanout, let ring {
            for index in 0..<ring.slotCount { ring.wakeReaders(index) }
        }
    }

    /// Messages written but not read: what is lost if the channel goes away now. At most the
    /// slot count: cursors farther apart are damage (`inspectDamage`), not messages. Fan-out:
    /// what the slowest attached reader has not read yet.
    package var undelivered: UInt64 {
        guard let ring else { return 0 }
        let written = header.writeCursor.load(ordering: .acquiring)
        let read = spec.delivery.isFanout ? slowestReader ?? written : header.readCursor.load(ordering: .acquiring)
        return written > read ? min(written - read, ring.slotCount) : 0
    }

    /// Fan-out: the least cursor of the readers in the client table, `nil` without readers.
    package var slowestReader: UInt64? {
        let table = clientTable
        return (0..<table.capacity).compactMap { index -> UInt64? in
            let cursor = table.entry(index).cursor.load(ordering: .acquiring)
            return cursor == 0 ? nil : cursor - 1
        }.min()
    }

    /// Removes every name the channel uses, segment first so no new client can find it.
    ///
    /// - Returns: the unlinks that failed for another reason than the name being gone already.
    @discardableResult
    package func unlink() -> [SystemCallError] {
        let objects = (try? spec.objects(prefix: names.prefix)) ?? []
        return objects.compactMap { object in
            do {
                try object.unlink()
                return nil
            } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
                return nil
            } catch {
                return error as? SystemCallError
            }
        }
    }

    /// The clients currently registered in the header.
    package var clients: [ClientRecord] { clientTable.records }

    /// The client table, with the capacity shmd created it with.
    package var clientTable: ClientTable { header.clientTable(capacity: spec.clientCapacity) }

    /// Removes whatever is under the channel's names: an earlier shmd's objects, or anything
    /// someone else put there. What shmd may not remove (another user's file or link in the
    /// sticky /dev/shm, when shmd is not root) ends the creation with its owner and the fix.
    private static func removeLeftovers(_ objects: [IPCObject], spec: ChannelSpec) throws -> [Leftover] {
        var removed: [Leftover] = []
        for object in objects {
            guard let found = try object.ownership() else { continue }
            let foreign = found.refusal(for: spec.permissions)
            do {
                try object.unlink()
            } catch let error as SystemCallError where error.errno == .notPermitted || error.errno == .permissionDenied {
                throw ChannelError.foreignObject(channel: spec.name, path: object.path, reason: foreign ?? "it is \(found)")
            } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
                continue // gone meanwhile
            }
            removed.append(Leftover(object: object, found: found, foreign: foreign))
        }
        return removed
    }
}
