import ShmKit

/// One channel as `shmctl list` and `shmctl status` show it, and as their `--json` prints it
/// (the schema is `Sources/ShmInspect/channel-report.schema.json`): read from its header and
/// from `/proc`, with no request to shmd.
package struct ChannelReport: Codable, Equatable, Sendable {
    package var prefix: String
    package var name: String
    /// `ring` or `seed`.
    package var layout: String
    /// `fast`, `classic`, or `seed` (the seed's own protocol).
    package var `protocol`: String
    /// `queue` or `fanout` (`unknown` for a word this build does not know).
    package var delivery: String
    /// Fan-out: `block` or `drop`; `nil` for a queue.
    package var slowReader: String?
    package var slots: Int
    package var slotSize: Int
    /// Messages written and not yet taken.
    package var queued: UInt64
    /// `queued` over `slots`, 0 to 1.
    package var fill: Double
    /// `initializing`, `open`, `closing`, `failed`, or `unknown`.
    package var state: String
    package var writers: Int
    package var readers: Int
    package var counters: Counters
    package var daemon: Daemon
    package var stuckAfterSeconds: Double
    /// Mean length of the last messages written (see `ChannelSnapshot.recentMessageBytes`).
    package var recentMessageBytes: Double?
    package var clients: [Client]
    /// The clients' holdings older than `stuck_after_seconds`.
    package var stuck: [Stuck]

    package struct Counters: Codable, Equatable, Sendable {
        package var written: UInt64
        package var read: UInt64
        package var abandoned: UInt64
        package var redelivered: UInt64
        package var pendingRedelivery: UInt64
        package var restored: UInt64
        package var dropped: UInt64
        package var deadClients: UInt64
        package var failedWakeups: UInt64
        /// Fan-out with `drop`: messages readers lost to writers that lapped them, summed.
        package var lost: UInt64
    }

    package struct Daemon: Codable, Equatable, Sendable {
        package var pid: Int32
        package var generation: UInt64
        /// `alive`, `stopped` or `dead`, from /proc (pid and start time).
        package var process: ProcessCondition
    }

    package struct Client: Codable, Equatable, Sendable {
        package var pid: Int32
        package var role: String
        /// The command name (`/proc/PID/comm`), or `nil` when it is gone.
        package var command: String?
        package var process: ProcessCondition
        /// The client's entry in the channel's client table.
        package var entry: Int
        package var holding: Holding?
        /// A fan-out reader's position; `nil` for other clients.
        package var fanout: FanoutPosition?
    }

    package struct FanoutPosition: Codable, Equatable, Sendable {
        /// The ticket it reads next.
        package var nextTicket: UInt64
        /// Messages written that it has not read yet.
        package var behind: UInt64
        /// Messages it lost to writers that lapped it.
        package var lost: UInt64
    }

    package struct Holding: Codable, Equatable, Sendable {
        /// The first ticket held, and how many.
        package var ticket: UInt64
        package var count: UInt64
        /// The ring slot of the first ticket.
        package var slot: Int
        /// How long shmd's sweeps have seen it held; `nil` until one has (within a sweep).
        package var heldSeconds: Double?
        package var stuck: Bool
    }

    package struct Stuck: Codable, Equatable, Sendable {
        package var pid: Int32
        package var role: String
        package var process: ProcessCondition
        package var slot: Int
        package var heldSeconds: Double
    }

    enum CodingKeys: String, CodingKey {
        case prefix, name, layout, `protocol`, delivery, slots, queued, fill, state, writers, readers, counters, daemon, clients, stuck
        case slowReader = "slow_reader"
        case slotSize = "slot_size"
        case stuckAfterSeconds = "stuck_after_seconds"
        case recentMessageBytes = "recent_message_bytes"
    }
}

extension ChannelReport.Counters {
    enum CodingKeys: String, CodingKey {
        case written, read, abandoned, redelivered, restored, dropped, lost
        case pendingRedelivery = "pending_redelivery"
        case deadClients = "dead_clients"
        case failedWakeups = "failed_wakeups"
    }
}

extension ChannelReport.FanoutPosition {
    enum CodingKeys: String, CodingKey {
        case behind, lost
        case nextTicket = "next_ticket"
    }
}

extension ChannelReport.Holding {
    enum CodingKeys: String, CodingKey {
        case ticket, count, slot, stuck
        case heldSeconds = "held_seconds"
    }
}

extension ChannelReport.Stuck {
    enum CodingKeys: String, CodingKey {
        case pid, role, process, slot
        case heldSeconds = "held_seconds"
    }
}

extension ChannelReport {
    /// Reads channel `found` now.
    ///
    /// - Throws: `ChannelError` when it cannot be read (gone since it was found, no permission,
    ///   a header this build does not understand).
    package init(_ found: FoundChannel) throws {
        try self.init(ChannelSnapshot(channel: found.channel, prefix: found.prefix), prefix: found.prefix)
    }

    package init(_ snapshot: ChannelSnapshot, prefix: String) {
        self.prefix = prefix
        name = snapshot.channel
        layout = snapshot.kind == .ring ? "ring" : "seed"
        `protocol` = snapshot.kind == .seed ? "seed" : ChannelProtocol(rawValue: snapshot.protocolRaw).map { "\($0)" } ?? "unknown"
        switch snapshot.delivery {
        case .queue?: (delivery, slowReader) = ("queue", nil)
        case let .fanout(policy)?: (delivery, slowReader) = ("fanout", "\(policy)")
        case nil: (delivery, slowReader) = ("unknown", nil)
        }
        slots = snapshot.slotCount
        slotSize = snapshot.slotSize
        queued = snapshot.queued
        fill = snapshot.slotCount > 0 ? min(1, Double(snapshot.queued) / Double(snapshot.slotCount)) : 0
        state = snapshot.state.map { "\($0)" } ?? "unknown"
        writers = snapshot.clients.filter { $0.role == .writer }.count
        readers = snapshot.clients.filter { $0.role == .reader }.count
        let count = { (counter: ChannelCounter) in snapshot.counters[counter] ?? 0 }
        counters = Counters(
            written: count(.written), read: count(.read), abandoned: count(.abandoned), redelivered: count(.redelivered),
            pendingRedelivery: count(.pendingRedelivery), restored: count(.restoredUnits), dropped: count(.dropped),
            deadClients: count(.deadClients), failedWakeups: snapshot.failedWakeups, lost: count(.lost))
        daemon = Daemon(pid: snapshot.daemon.pid, generation: snapshot.generation, process: ProcessCondition(of: snapshot.daemon))
        stuckAfterSeconds = snapshot.stuckAfterSeconds
        recentMessageBytes = snapshot.recentMessageBytes
        let holdings = Dictionary(snapshot.holdings.map { ($0.entry, $0) }, uniquingKeysWith: { first, _ in first })
        let positions = Dictionary(snapshot.fanoutReaders.map { ($0.entry, $0) }, uniquingKeysWith: { first, _ in first })
        clients = snapshot.clients.map { record in
            let holding = holdings[record.slot].map { held in
                let seconds = held.heldNanoseconds.map { Double($0) / 1e9 }
                return Holding(
                    ticket: held.tickets.lowerBound, count: UInt64(held.tickets.count), slot: held.slot, heldSeconds: seconds,
                    stuck: (seconds ?? 0) >= snapshot.stuckAfterSeconds)
            }
            return Client(
                pid: record.process.pid, role: "\(record.role)", command: ProcessCommand.name(of: record.process.pid),
                process: ProcessCondition(of: record.process), entry: record.slot, holding: holding,
                fanout: positions[record.slot].map { FanoutPosition(nextTicket: $0.nextTicket, behind: $0.behind, lost: $0.lost) })
        }
        stuck = clients.compactMap { client in
            guard let holding = client.holding, holding.stuck else { return nil }
            return Stuck(pid: client.pid, role: client.role, process: client.process, slot: holding.slot, heldSeconds: holding.heldSeconds ?? 0)
        }
    }
}
