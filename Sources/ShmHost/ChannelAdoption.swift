import ShmKit

/// Decides whether a restarted daemon may take over the channel an earlier daemon left in
/// /dev/shm, and does it.
///
/// Adopting keeps the objects, so queued messages survive a daemon crash and attached clients
/// never notice. It is refused, with a reason the daemon logs, whenever trusting the old objects
/// could be wrong: an object shmd's user did not make, or one with wider access than the config
/// gives (anyone may create files in /dev/shm, so a valid header proves nothing about who wrote
/// it), an unreadable or foreign header, another layout version or geometry, a channel that was
/// closing, a missing semaphore. An adopted channel's objects get the configured mode and group
/// again.
enum ChannelAdoption {
    enum Outcome {
        case nothing
        case adopted(HostedChannel, previousDaemon: Int32, queued: UInt64)
        case refused(reason: String)
    }

    /// - Throws: `ChannelError.ownedByRunningDaemon` when the owner still runs.
    static func attempt(spec: ChannelSpec, names: ChannelNames, daemon: ProcessIdentity) throws -> Outcome {
        guard IPCObject.segment(names.segment).exists else { return .nothing }
        // Only regular files are opened at all (a planted FIFO or link never is); the header is
        // read next, so that garbage is named as such; then who made each object decides, the
        // segment's owner read again through its open descriptor.
        let objects = try spec.objects(prefix: names.prefix)
        if let refusal = untrusted(objects, spec: spec, typeOnly: true) { return .refused(reason: refusal) }
        let segment: SharedMemorySegment
        do {
            segment = try SharedMemorySegment.open(name: names.segment)
        } catch {
            return .refused(reason: "cannot open it: \(error)")
        }
        let header = ChannelHeader(base: segment.base)
        do {
            try HeaderValidation.validate(header, mappedSize: segment.size, channel: spec.name)
        } catch let error as ChannelError {
            if case let .headerMismatch(_, field, expected, found) = error {
                return .refused(reason: "its \(field) is \(found), this shmd needs \(expected)")
            }
            return .refused(reason: error.description)
        }
        if let refusal = untrusted(objects, spec: spec, typeOnly: false) { return .refused(reason: refusal) }
        if let refusal = try? segment.ownership().refusal(for: spec.permissions) {
            return .refused(reason: "\(segment.name) changed while shmd looked at it: \(refusal)")
        }
        let owner = ProcessIdentity(pid: header.daemonPid, startTime: header.daemonStart)
        if header.bootID == BootID.current && owner.pid != daemon.pid && owner.isAlive {
            throw ChannelError.ownedByRunningDaemon(channel: spec.name, pid: owner.pid)
        }
        guard header.state == .open else {
            return .refused(reason: "it was closing when its daemon (pid \(owner.pid)) stopped")
        }
        if let mismatch = difference(spec, header) { return .refused(reason: mismatch) }

        do {
            let channel: HostedChannel
            switch spec.layout {
            case .ring:
                channel = HostedChannel(
                    spec: spec, names: names, segment: segment, seedBuffer: nil,
                    empty: try NamedSemaphore.open(name: names.semaphoreEmpty),
                    full: try NamedSemaphore.open(name: names.semaphoreFull))
            case let .seed(bufferName, emptyName, fullName):
                let buffer = try SharedMemorySegment.open(name: bufferName)
                guard buffer.size >= Layout.seedBufferSize else {
                    return .refused(reason: "its seed segment \(bufferName) has \(buffer.size) bytes, not \(Layout.seedBufferSize)")
                }
                channel = HostedChannel(
                    spec: spec, names: names, segment: segment, seedBuffer: buffer,
                    empty: try NamedSemaphore.open(name: emptyName), full: try NamedSemaphore.open(name: fullName))
            }
            for object in try spec.objects(prefix: names.prefix) { try object.apply(spec.permissions) }
            let queued = channel.undelivered
            channel.setOwner(daemon, generation: header.generation &+ 1)
            channel.header.setStuckAfter(seconds: spec.stuckAfterSeconds)
            return .adopted(channel, previousDaemon: owner.pid, queued: queued)
        } catch {
            return .refused(reason: "one of its objects is missing or unusable: \(error)")
        }
    }

    /// Why one of `objects` is not to be trusted as shmd's own (see `ObjectOwnership.refusal`),
    /// naming the object, or `nil` when every one that exists may be.
    ///
    /// - Parameter typeOnly: look only at whether each is a regular file.
    private static func untrusted(_ objects: [IPCObject], spec: ChannelSpec, typeOnly: Bool) -> String? {
        for object in objects {
            do {
                guard let found = try object.ownership() else { continue }
                if typeOnly, case .regular = found.type { continue }
                if let refusal = found.refusal(for: spec.permissions) {
                    return "\(object.path): \(refusal)"
                }
            } catch {
                return "cannot look at \(object.path): \(error)"
            }
        }
        return nil
    }

    /// What differs between the config and the channel found, or `nil`.
    private static func difference(_ spec: ChannelSpec, _ header: ChannelHeader) -> String? {
        if Int(header.clientCapacity) != spec.clientCapacity {
            return "its client table holds \(header.clientCapacity) clients, the config says max-clients = \(spec.clientCapacity)"
        }
        switch spec.layout {
        case let .ring(slots, slotSize, proto):
            guard header.magic == Layout.ringMagic else { return "it is a seed-layout channel, the config says ring" }
            if Int(header.slotCount) != slots || Int(header.slotSize) != slotSize {
                return "it has \(header.slotCount) slots of \(header.slotSize) bytes, the config says \(slots) of \(slotSize)"
            }
            if header.protocolRaw != proto.rawValue {
                return "it uses protocol \(ChannelProtocol(rawValue: header.protocolRaw)?.description ?? "?"), the config says \(proto)"
            }
            if header.deliveryRaw != spec.delivery.rawValue {
                let found = Delivery(rawValue: header.deliveryRaw)?.description ?? "\(header.deliveryRaw)"
                return "its delivery is \(found), the config says \(spec.delivery)"
            }
            if header.spinNanoseconds != spec.spinNanoseconds {
                return "its spin is \(header.spinNanoseconds / 1000) µs, the config says \(spec.spinNanoseconds / 1000) µs"
            }
        case let .seed(segment, empty, full):
            guard header.magic == Layout.seedMagic else { return "it is a ring channel, the config says seed layout" }
            let names = header.seedNames
            if names.segment != segment || names.semaphoreEmpty != empty || names.semaphoreFull != full {
                return "it names \(names.segment), \(names.semaphoreEmpty), \(names.semaphoreFull); the config \(segment), \(empty), \(full)"
            }
        }
        return nil
    }
}
