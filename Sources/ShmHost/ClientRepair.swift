import Atomics
import ShmKit

/// What the daemon did about one client that died without detaching.
package struct ClientRepair: Equatable, Sendable {
    package let record: ClientRecord
    /// Slots the dead writer had taken and not published: published as abandoned, so readers
    /// skip them instead of waiting forever.
    package let abandoned: Int
    /// Messages the dead reader had taken and not released: put back for another reader.
    package let redelivered: Int
    /// Whether it died asleep (its count among the waiters was taken back).
    package let wasWaiting: Bool
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
    package func repairDeadClients() -> [ClientRepair] {
        guard case let .ring(_, _, proto) = spec.layout, let ring else { return releaseDeadSeedClients() }
        defer { flushRedeliveries(ring: ring, proto: proto) }
        let table = clientTable
        let records = table.records
        let living = records.filter { $0.process.isAlive }
        var repairs: [ClientRepair] = []
        for record in records where !living.contains(record) {
            let entry = table.entry(record.slot)
            var abandoned = 0
            var redelivered = 0
            let wasWaiting = entry.waiting.load(ordering: .acquiring) == 1
            if wasWaiting {
                takeBack(record.role == .writer ? header.writersWaiting : header.readersWaiting)
            }
            let cursor = record.role == .writer ? header.writeCursor : header.readCursor
            let laps = Ring.lapsBehind(proto, clientCapacity: spec.clientCapacity)
            for ticket in Self.plausible(entry.held, cursor: cursor.load(ordering: .sequentiallyConsistent), ring: ring, laps: laps) {
                let heldByTheLiving = living.contains { other in
                    other.role == record.role && table.entry(other.slot).held?.contains(ticket) == true
                }
                // Taken (the cursor is past it) and not yet handed on: a writer's slot not
                // published, a reader's message not released.
                guard !heldByTheLiving, cursor.load(ordering: .sequentiallyConsistent) > ticket else { continue }
                let phase = ring.phase(ticket)
                let ready = Ring.readyPhase(record.role)
                let counted: Bool
                // Fan-out: a writer that died between its claim and its mark left the slot with
                // the previous lap's message, which no later event changes.
                let claimedUnmarked =
                    spec.delivery.isFanout && ticket >= ring.slotCount
                    && ring.sequence(ticket).load(ordering: .acquiring) == Ring.fullMark(ticket - ring.slotCount)
                if phase == ready || (record.role == .writer && claimedUnmarked) {
                    // A writer's slot is published as abandoned; a reader's message copied out,
                    // its slot freed, and the message queued again.
                    counted = settle(ticket, role: record.role, ring: ring, proto: proto)
                } else if phase < ready, !pendingOrphans.contains(where: { $0 == (ticket, record.role) }) {
                    // Taken ahead: a classic client claims a ticket as soon as it has a unit,
                    // which may be another ticket's, and then waits for its slot (writer) or
                    // message (reader). Settled once that is ready.
                    pendingOrphans.append((ticket, record.role))
                    counted = true
                } else {
                    counted = false
                }
                if counted, record.role == .writer { abandoned += 1 } else if counted { redelivered += 1 }
            }
            table.unregister(record.slot, process: record.process)
            // A fan-out reader's cursor left the gate with its entry: writers waiting for it go on.
            if spec.delivery.isFanout && record.role == .reader { notify(empty, waiting: header.writersWaiting, proto) }
            header.increment(.deadClients)
            repairs.append(ClientRepair(record: record, abandoned: abandoned, redelivered: redelivered, wasWaiting: wasWaiting))
        }
        return repairs
    }

    /// A seed channel's dead clients: the seed's protocol leaves nothing shmd could safely put
    /// right, but each entry is freed, since a full table refuses the next client.
    private func releaseDeadSeedClients() -> [ClientRepair] {
        clientTable.records.filter { !$0.process.isAlive }.map { record in
            clientTable.unregister(record.slot, process: record.process)
            header.increment(.deadClients)
            return ClientRepair(record: record, abandoned: 0, redelivered: 0, wasWaiting: false)
        }
    }

    /// The part of a dead client's recorded tickets that a client can really hold: at most a
    /// lap of them (no claim takes more slots than the ring has), taken (below the cursor), and
    /// no further behind it than `Ring.lapsBehind` allows. Whatever else the entry says was
    /// written from outside, and acting on it could take a living client's ticket, or keep the
    /// daemon counting through four billion tickets.
    static func plausible(_ held: Range<UInt64>?, cursor: UInt64, ring: Ring, laps: UInt64) -> Range<UInt64> {
        guard let held else { return 0..<0 }
        let count = min(UInt64(held.count), ring.slotCount)
        let (end, overflow) = held.lowerBound.addingReportingOverflow(count)
        let claimed = held.lowerBound..<(overflow ? UInt64.max : end)
        let window = (cursor - min(cursor, ring.slotCount * laps))..<cursor
        return claimed.clamped(to: window)
    }

    /// Writes messages a dead reader held back into the ring, as far as free slots allow now;
    /// the rest wait for the next sweep. They go to the back of the queue: a redelivered message
    /// may arrive after later messages of its writer.
    func flushRedeliveries(ring: Ring, proto: ChannelProtocol) {
        defer { header.set(.pendingRedelivery, to: UInt64(pendingRedeliveries.count + pendingOrphans.count)) }
        pendingOrphans.removeAll { orphan in
            let phase = ring.phase(orphan.ticket)
            let ready = Ring.readyPhase(orphan.role)
            if phase == ready { settle(orphan.ticket, role: orphan.role, ring: ring, proto: proto) }
            return phase >= ready // settled now, or past it: not ours any more
        }
        while let message = pendingRedeliveries.first {
            let cursor = header.writeCursor
            let ticket = cursor.load(ordering: .relaxed)
            guard ring.isFree(ticket) else { return }
            if proto == .classic && !empty.tryWait() { return }
            guard cursor.compareExchange(expected: ticket, desired: ticket &+ 1, ordering: .sequentiallyConsistent).exchanged else {
                if proto == .classic { header.wake { try empty.post() } }
                continue
            }
            message.withUnsafeBytes { bytes in
                let slot = ring.payload(ticket)
                if let source = bytes.baseAddress, bytes.count > 0 { slot.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
            }
            ring.publish(ticket, length: message.count)
            header.increment(.redelivered)
            pendingRedeliveries.removeFirst()
            notify(full, waiting: header.readersWaiting, proto)
        }
    }

    /// Hands on a ticket a dead client held in its ready phase. A writer's: published as
    /// abandoned, so readers go past it. A reader's: its message copied out for redelivery
    /// (unless the slot was abandoned), the slot freed. Returns whether that counts: always for
    /// a writer, for a reader when there was a message.
    @discardableResult
    private func settle(_ ticket: UInt64, role: ClientRole, ring: Ring, proto: ChannelProtocol) -> Bool {
        if role == .writer {
            ring.abandon(from: ticket)
            if spec.delivery.isFanout {
                ring.wakeReaders(ticket)
                notify(empty, waiting: header.writersWaiting, proto) // the slot's next writer
            } else {
                notify(full, waiting: header.readersWaiting, proto)
            }
            return true
        }
        let message = ring.message(ticket).map { Array($0) }
        if let message { pendingRedeliveries.append(message) }
        ring.free(ticket)
        notify(empty, waiting: header.writersWaiting, proto)
        return message != nil
    }

    /// Classic: one unit per slot or message. Fast: wake only an announced waiter.
    private func notify(_ semaphore: NamedSemaphore, waiting: UnsafeAtomic<UInt32>, _ proto: ChannelProtocol) {
        if proto == .classic {
            header.wake { try semaphore.post() }
        } else {
            header.wake { try semaphore.wakeAnnounced(waiting) }
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
