import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's look at a channel it owns for damage, before anything else touches it in a
/// sweep. Every member of the channel's group may write anything into its objects, or truncate
/// them; such a channel can lose or garble messages for its own clients, and nothing more:
/// shmd compares what it finds with what it created (kept in its own memory) and replaces a
/// damaged channel rather than reason about what it holds.
extension HostedChannel {
    /// What is wrong with the channel, or `nil` when every check holds:
    /// - no object is shorter than shmd made it (the SIGBUS guard counts vanished pages);
    /// - identification, geometry, owner and generation are what shmd wrote;
    /// - the state is `open`;
    /// - the cursors are at most a lap apart, the read cursor never ahead of the write cursor;
    /// - every slot's sequence belongs to a ticket of its index within a lap of the cursors.
    package func inspectDamage() -> String? {
        if let truncated = truncation() { return truncated }
        if let field = changedField() { return field }
        guard let ring else { return nil }
        if spec.delivery.isFanout { return strayedFanoutSequence(ring) }
        // Loaded write, read, write: whatever the clients do meanwhile, read ≤ the later write
        // and the earlier write ≤ read + N hold for a sound ring (see `Ring`).
        let writeBefore = header.writeCursor.load(ordering: .sequentiallyConsistent)
        let read = header.readCursor.load(ordering: .sequentiallyConsistent)
        let writeAfter = header.writeCursor.load(ordering: .sequentiallyConsistent)
        if read > writeAfter {
            return "its read cursor \(read) is ahead of its write cursor \(writeAfter)"
        }
        // A classic waiter may post a unit it judged lost (`LostUnitWatch`), at most one per dead
        // client: each such unit lets the writers one slot further.
        let spare = specProtocol == .classic ? min(header.counter(.restoredUnits), ring.slotCount) : 0
        if writeBefore > read &+ ring.slotCount &+ spare {
            return "its write cursor \(writeBefore) is more than \(ring.slotCount) slots ahead of its read cursor \(read)"
        }
        return strayedSequence(ring, after: read)
    }

    /// An object cut shorter than shmd made it, or removed from /dev/shm (only its owner or root
    /// can do that: the seed's own writer may, once it is done, which replacing the channel
    /// undoes for the next client).
    private func truncation() -> String? {
        for mapped in [segment] + (seedBuffer.map { [$0] } ?? []) {
            if mapped.isUnlinked { return "segment \(mapped.name) was removed from /dev/shm" }
            if mapped.isTruncated {
                let size = (try? mapped.currentSize()).map { "\($0) bytes" } ?? "an unknown size"
                return "segment \(mapped.name) was truncated to \(size) (shmd made it \(mapped.size))"
            }
        }
        for semaphore in [empty, full] {
            guard let found = (try? IPCObject.semaphore(semaphore.name).ownership()) ?? nil else {
                return "semaphore \(semaphore.name) was removed from /dev/shm"
            }
            if semaphore.isTruncated || found.size < MemoryLayout<sem_t>.size {
                return "semaphore \(semaphore.name) was truncated to \(found.size) bytes"
            }
        }
        return nil
    }

    /// The first header field that is not what shmd wrote, with both values.
    private func changedField() -> String? {
        let header = self.header
        let ringGeometry = spec.ringGeometry
        let expected: [(String, UInt64, UInt64)] = [
            ("magic", ringGeometry == nil ? Layout.seedMagic : Layout.ringMagic, header.magic),
            ("layout version", UInt64(Layout.version), UInt64(header.version)),
            ("word size", UInt64(MemoryLayout<Int>.size), UInt64(header.wordSize)),
            ("header size", UInt64(Layout.headerSize), UInt64(header.headerSize)),
            ("kind", UInt64((ringGeometry == nil ? ChannelKind.seed : .ring).rawValue), UInt64(header.kindRaw)),
            ("slot count", UInt64(ringGeometry?.slotCount ?? 1), UInt64(header.slotCount)),
            ("slot size", UInt64(ringGeometry?.slotSize ?? Layout.seedBufferSize - 1), UInt64(header.slotSize)),
            ("slot stride", UInt64(ringGeometry?.stride ?? 0), UInt64(header.slotStride)),
            ("protocol", UInt64(specProtocol.rawValue), UInt64(header.protocolRaw)),
            ("total size", UInt64(spec.geometry.totalSize), header.totalSize),
            ("client capacity", UInt64(spec.clientCapacity), UInt64(header.clientCapacity)),
            ("spin", ringGeometry == nil ? Layout.defaultSpinNanoseconds : spec.spinNanoseconds, header.spinNanoseconds),
            ("delivery", UInt64(spec.delivery.rawValue), UInt64(header.deliveryRaw)),
            ("daemon pid", UInt64(UInt32(bitPattern: owner.pid)), UInt64(UInt32(bitPattern: header.daemonPid))),
            ("daemon start time", owner.startTime, header.daemonStart),
            ("generation", generation, header.generation),
            ("state", UInt64(ChannelState.open.rawValue), UInt64(header.stateRaw)),
        ]
        for (field, wrote, found) in expected where wrote != found {
            return "its header's \(field) is \(found), shmd wrote \(wrote)"
        }
        if case let .seed(segmentName, emptyName, fullName) = spec.layout {
            let names = header.seedNames
            if names != (segmentName, emptyName, fullName) {
                return
                    "its descriptor names \(names.segment), \(names.semaphoreEmpty), \(names.semaphoreFull); shmd wrote \(segmentName), \(emptyName), \(fullName)"
            }
        }
        return nil
    }

    /// A fan-out slot whose sequence no sound ring can hold. Nobody frees fan-out slots: each
    /// holds `2t` (being written for `t`) or `2t + 1` (`t`'s message) for the latest ticket `t`
    /// of its index a writer marked. Tickets are claimed below the write cursor, and the newest
    /// claim of a slot may not be marked yet, but the one before it is published (a writer
    /// takes a slot only then), so every ticket found is within two laps below the write cursor
    /// loaded first and below the write cursor loaded
    /// last plus a lap. Readers' cursors are their own: a reader's wrong cursor loses or
    /// repeats that reader's messages, nothing else.
    private func strayedFanoutSequence(_ ring: Ring) -> String? {
        let before = header.writeCursor.load(ordering: .sequentiallyConsistent)
        let lowest = before - min(before, 2 &* ring.slotCount)
        var highest: UInt64?
        for index in 0..<ring.slotCount {
            let sequence = ring.sequence(index).load(ordering: .acquiring)
            let ticket = sequence >> 1
            if ticket % ring.slotCount == index && ticket >= lowest {
                if ticket < before &+ ring.slotCount { continue }
                let limit = highest ?? header.writeCursor.load(ordering: .sequentiallyConsistent) &+ ring.slotCount
                highest = limit
                if ticket < limit { continue }
            }
            return "slot \(index) has sequence \(sequence), which no ticket of that slot between \(lowest) and "
                + "\(highest ?? before &+ ring.slotCount) can have"
        }
        return nil
    }

    private var specProtocol: ChannelProtocol {
        if case let .ring(_, _, proto) = spec.layout { return proto }
        return .classic
    }

    /// A slot whose sequence no sound ring can hold: every sequence is `2t` (free for ticket
    /// `t`) or `2t + 1` (holding `t`'s message) for a ticket `t` of the slot's index, and while
    /// the slots are looked at, every ticket written there lies between `Ring.lapsBehind` laps
    /// and one more before the read cursor read first (the slot's message may still wait for a
    /// reader that far behind) and a lap after the write cursor read last.
    private func strayedSequence(_ ring: Ring, after read: UInt64) -> String? {
        let laps = Ring.lapsBehind(specProtocol, clientCapacity: spec.clientCapacity) + 1
        let lowest = read - min(read, ring.slotCount * laps)
        var highest: UInt64?
        for index in 0..<ring.slotCount {
            let sequence = ring.sequence(index).load(ordering: .acquiring)
            let ticket = sequence >> 1
            if ticket % ring.slotCount == index && ticket >= lowest {
                if ticket < read &+ 2 &* ring.slotCount { continue }
                // Rare: far ahead of the first look; compare with the write cursor now.
                let limit = highest ?? header.writeCursor.load(ordering: .sequentiallyConsistent) &+ ring.slotCount
                highest = limit
                if ticket <= limit { continue }
            }
            return "slot \(index) has sequence \(sequence), which no ticket of that slot between \(lowest) and "
                + "\(highest ?? read &+ 2 &* ring.slotCount) can have"
        }
        return nil
    }
}
