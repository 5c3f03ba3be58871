import Logging
import ShmHost
import ShmKit

/// Reports a client that has held a slot longer than its channel's `stuck-after`: a reader
/// stopped (SIGSTOP, a debugger, a swapped-out machine) while it holds a message stalls every
/// writer once the ring wraps to that slot, and a writer stopped mid-message stalls the readers
/// behind it. Each holding is reported once, as a warning with `SHMD_EVENT=stuck` and
/// `SHMD_STUCK=held`, and once more (`SHMD_STUCK=released`) when it ends; while it lasts, it is
/// in the `STATUS=` line.
///
/// How long a slot has been held costs the clients nothing: each sweep records in the client's
/// entry the holding it saw and when it first saw it (`ClientEntry.seenHeld`, `heldSince`), so
/// ages have the sweep's resolution, and `shmctl` reads the same two fields.
///
/// Runs after `ClientWatch` in the same sweep: a dead client's holding is repaired there, not
/// reported here. Not thread-safe: the daemon's loop is its only user.
final class StuckWatch {
    /// One reported holding.
    struct Stuck: Equatable {
        var channel: String
        var role: ClientRole
        var pid: Int32
        var slot: Int
        var seconds: Double
        var condition: ProcessCondition
    }

    private struct Key: Hashable {
        var channel: String
        var generation: UInt64
        var entry: Int
        var pid: Int32
        var held: UInt64
    }

    private let logger: Logger
    private var reported: [Key: Stuck] = [:]

    init(logger: Logger) {
        self.logger = logger
    }

    /// The holdings reported and not yet released, in channel order.
    private(set) var current: [Stuck] = []

    /// For `STATUS=`: "stuck: demo reader pid 1234 (stopped) slot 17 for 12 s", or `nil`.
    var statusSummary: String? {
        guard let first = current.first else { return nil }
        let more = current.count > 1 ? " and \(current.count - 1) more" : ""
        return "stuck: \(first.channel) \(first.role) pid \(first.pid) (\(first.condition.rawValue)) slot \(first.slot) for \(Int(first.seconds)) s\(more)"
    }

    /// Looks at every client of `channels` once.
    func sweep(_ channels: [HostedChannel]) {
        let now = SystemClock.monotonicNanoseconds()
        var seen: [Key: Stuck] = [:]
        var order: [Key] = []
        for channel in channels {
            guard let ring = channel.ring else { continue }
            let header = channel.header
            let table = header.clientTable(capacity: channel.spec.clientCapacity)
            let threshold = header.stuckAfterSeconds
            // A stopped reader of a fan-out channel that blocks holds no slot, but the writers
            // wait for it once they are a ring ahead: that is its holding (`holdingMark`).
            let gate =
                channel.spec.delivery == .fanout(.block)
                ? (written: header.writeCursor.load(ordering: .acquiring), slots: ring.slotCount) : nil
            for record in table.records {
                let entry = table.entry(record.slot)
                let held = entry.holdingMark(gate: record.role == .reader ? gate : nil)
                guard held != 0 else {
                    // Only when there is something to clear: the entry's line is the client's
                    // own, which it writes on every message, so shmd leaves it clean.
                    if entry.seenHeld.load(ordering: .relaxed) != 0 { entry.seenHeld.store(0, ordering: .relaxed) }
                    continue
                }
                guard entry.seenHeld.load(ordering: .relaxed) == held else {
                    // First sight of this holding: the age counts from now. heldSince first, so
                    // that whoever sees seenHeld match reads the time that goes with it.
                    entry.heldSince.store(now, ordering: .relaxed)
                    entry.seenHeld.store(held, ordering: .releasing)
                    continue
                }
                let since = entry.heldSince.load(ordering: .relaxed)
                let seconds = Double(now >= since ? now - since : 0) / 1e9
                guard seconds >= threshold else { continue }
                let key = Key(channel: channel.spec.name, generation: channel.generation, entry: record.slot, pid: record.process.pid, held: held)
                let ticket = held - 1
                let stuck = Stuck(
                    channel: channel.spec.name, role: record.role, pid: record.process.pid,
                    slot: Int(ticket % ring.slotCount), seconds: seconds,
                    condition: ProcessCondition(of: record.process))
                seen[key] = stuck
                order.append(key)
                if reported[key] == nil {
                    report(stuck, consequence: consequence(of: record.role, ticket: ticket, header: header, slots: Int(ring.slotCount)))
                }
            }
        }
        for (key, stuck) in reported where seen[key] == nil {
            logger.notice(
                "channel \(stuck.channel): \(stuck.role) pid \(stuck.pid) no longer holds slot \(stuck.slot); it was stuck for at least \(Int(stuck.seconds)) s",
                metadata: metadata(stuck, "released"))
        }
        reported = seen
        current = order.compactMap { seen[$0] }
    }

    private func report(_ stuck: Stuck, consequence: String) {
        logger.warning(
            "channel \(stuck.channel): \(stuck.role) pid \(stuck.pid) (\(stuck.condition.rawValue)) has held slot \(stuck.slot) for \(Int(stuck.seconds)) s; \(consequence)",
            metadata: metadata(stuck, "held"))
    }

    private func metadata(_ stuck: Stuck, _ phase: String) -> Logger.Metadata {
        [
            "channel": "\(stuck.channel)", "event": "stuck", "stuck": "\(phase)", "client_pid": "\(stuck.pid)",
            "role": "\(stuck.role)", "slot": "\(stuck.slot)", "held_seconds": "\(Int(stuck.seconds))",
            "process": "\(stuck.condition.rawValue)",
        ]
    }

    /// Who waits for the held ticket: a reader's slot stops the writers once they have gone a
    /// lap around the ring to it (a fan-out reader is reported only then); a writer's stops the
    /// readers when they reach it.
    private func consequence(of role: ClientRole, ticket: UInt64, header: ChannelHeader, slots: Int) -> String {
        switch role {
        case .reader:
            let written = header.writeCursor.load(ordering: .relaxed)
            return written &- ticket >= UInt64(slots) ? "writers are blocked" : "writers will block when the ring wraps to it"
        case .writer:
            let read = header.readCursor.load(ordering: .relaxed)
            return read >= ticket ? "readers are blocked behind it" : "readers will block when they reach it"
        }
    }
}
