import Atomics

/// What the daemon did about one client that died without detaching.
public struct ClientRepair: Equatable, Sendable {
    public let record: ClientRecord
    /// Slots the dead writer had taken and not published: published as abandoned, so readers
    /// skip them instead of waiting forever.
    public let abandoned: Int
    /// Messages the dead reader had taken and not released: put back for another reader.
    public let redelivered: Int
    /// Whether it died asleep (its count among the waiters was taken back).
    public let wasWaiting: Bool
}

extension HostedChannel {
    /// Finds the clients of this ring channel that died without detaching and repairs what each
    /// one held, then frees its entry. Only the daemon calls this, from its one loop.
    ///
    /// A ticket recorded as held is touched only when its slot still waits for that holder and
    /// no living client records it too: clients record a ticket *before* they try to take it,
    /// so a record can be stale (the take failed), but never missing.
    ///
    /// - Returns: one entry per dead client found.
    public func repairDeadClients() -> [ClientRepair] {
        guard case let .ring(_, _, proto) = spec.layout else { return [] }
        let ring = Ring(header: header)
        defer { flushRedeliveries(ring: ring, proto: proto) }
        let table = header.clientTable
        let records = table.records
        let living = records.filter { $0.process.isAlive }
        var repairs: [ClientRepair] = []
        for record in records where !living.contains(record) {
            let entry = table.entry(record.slot)
            var abandoned = 0, redelivered = 0
            let wasWaiting = entry.waiting.load(ordering: .acquiring) == 1
            if wasWaiting {
                takeBack(record.role == .writer ? header.writersWaiting : header.readersWaiting)
            }
            for ticket in entry.held ?? 0..<0 {
                let heldByTheLiving = living.contains { other in
                    other.role == record.role && table.entry(other.slot).held?.contains(ticket) == true
                }
                if heldByTheLiving { continue }
                switch record.role {
                case .writer:
                    guard header.writeCursor.load(ordering: .sequentiallyConsistent) > ticket else { continue }
                    if ring.isFree(ticket) {
                        // Taken (the cursor is past it) and never published.
                        abandon(ticket, ring: ring, proto: proto)
                        abandoned += 1
                    } else if ring.sequence(ticket).load(ordering: .acquiring) < Ring.freeMark(ticket),
                              !pendingOrphans.contains(where: { $0.ticket == ticket && $0.role == .writer }) {
                        // Taken while its slot still held last lap's message (a classic writer
                        // claims as soon as it has a unit of `empty`, which may be another
                        // slot's): abandoned once a reader frees the slot.
                        pendingOrphans.append((ticket, .writer))
                        abandoned += 1
                    }
                case .reader:
                    guard header.readCursor.load(ordering: .sequentiallyConsistent) > ticket else { continue }
                    if ring.isPublished(ticket) {
                        // Taken and never released: copy the message out, free the slot, queue it again.
                        if putBack(ticket, ring: ring, proto: proto) { redelivered += 1 }
                    } else if ring.isFree(ticket), !pendingOrphans.contains(where: { $0.ticket == ticket && $0.role == .reader }) {
                        // Taken before its writer published it (a classic reader claims a ticket
                        // as soon as it has a unit of `full`, which may be another writer's):
                        // the message is put back once published (or skipped if abandoned).
                        pendingOrphans.append((ticket, .reader))
                        redelivered += 1
                    }
                }
            }
            table.unregister(record.slot, process: record.process)
            header.increment(.deadClients)
            repairs.append(ClientRepair(record: record, abandoned: abandoned, redelivered: redelivered, wasWaiting: wasWaiting))
        }
        return repairs
    }

    /// Writes messages a dead reader held back into the ring, as far as free slots allow now;
    /// the rest wait for the next sweep. They go to the back of the queue: a redelivered message
    /// may arrive after later messages of its writer.
    func flushRedeliveries(ring: Ring, proto: ChannelProtocol) {
        defer { header.set(.pendingRedelivery, to: UInt64(pendingRedeliveries.count + pendingOrphans.count)) }
        pendingOrphans.removeAll { orphan in
            switch orphan.role {
            case .reader:
                if ring.isPublished(orphan.ticket) {
                    putBack(orphan.ticket, ring: ring, proto: proto)
                    return true
                }
                return !ring.isFree(orphan.ticket)   // neither awaited nor published: not ours any more
            case .writer:
                if ring.isFree(orphan.ticket) {
                    abandon(orphan.ticket, ring: ring, proto: proto)
                    return true
                }
                return ring.sequence(orphan.ticket).load(ordering: .acquiring) > Ring.freeMark(orphan.ticket)
            }
        }
        while let message = pendingRedeliveries.first {
            let cursor = header.writeCursor
            let ticket = cursor.load(ordering: .relaxed)
            guard ring.isFree(ticket) else { return }
            if proto == .classic && !empty.tryWait() { return }
            guard cursor.compareExchange(expected: ticket, desired: ticket &+ 1, ordering: .sequentiallyConsistent).exchanged else {
                if proto == .classic { try? empty.post() }
                continue
            }
            message.withUnsafeBytes { bytes in
                let slot = ring.payload(ticket)
                if let source = bytes.baseAddress, bytes.count > 0 { slot.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
            }
            ring.publish(ticket, length: message.count)
            header.increment(.redelivered)
            pendingRedeliveries.removeFirst()
            notifyReaders(proto)
        }
    }

    /// Publishes the slot of `ticket` as abandoned, so readers go past it, and tells them.
    private func abandon(_ ticket: UInt64, ring: Ring, proto: ChannelProtocol) {
        ring.publish(ticket, length: 0, flags: SlotFlags.abandoned)
        header.increment(.abandoned)
        notifyReaders(proto)
    }

    /// Copies the published message of `ticket` out for redelivery (unless it is an abandoned
    /// slot), frees the slot and tells writers. Returns whether there was a message.
    @discardableResult
    private func putBack(_ ticket: UInt64, ring: Ring, proto: ChannelProtocol) -> Bool {
        let message = ring.message(ticket).map { Array($0) }
        if let message { pendingRedeliveries.append(message) }
        ring.free(ticket)
        notifyWriters(proto)
        return message != nil
    }

    private func notifyReaders(_ proto: ChannelProtocol) {
        if proto == .classic {
            try? full.post()
        } else {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if header.readersWaiting.load(ordering: .relaxed) != 0 && full.value <= 0 { try? full.post() }
        }
    }

    private func notifyWriters(_ proto: ChannelProtocol) {
        if proto == .classic {
            try? empty.post()
        } else {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if header.writersWaiting.load(ordering: .relaxed) != 0 && empty.value <= 0 { try? empty.post() }
        }
    }

    /// Subtracts one from a waiter count, never below zero.
    private func takeBack(_ count: UnsafeAtomic<UInt32>) {
        var current = count.load(ordering: .relaxed)
        while current > 0 {
            let (done, actual) = count.compareExchange(expected: current, desired: current - 1, ordering: .relaxed)
            if done { return }
            current = actual
        }
    }
}
