import Foundation

/// The text `shmctl list` and `shmctl status` print.
package enum ReportText {
    /// A table, one line per channel, then one line per stuck holding.
    package static func list(_ reports: [ChannelReport]) -> String {
        let heading = [
            "CHANNEL", "LAYOUT", "SLOTS×SIZE", "FILL", "STATE", "W", "R", "WRITTEN", "READ", "ABANDONED", "REDELIVERED", "RESTORED", "DAEMON", "GEN",
        ]
        let rows = reports.map { report in
            [
                report.prefix + "." + report.name, "\(report.layout)/\(report.protocol)\(report.delivery == "fanout" ? "/fanout" : "")",
                "\(report.slots)×\(size(report.slotSize))",
                "\(report.queued)/\(report.slots) \(percent(report.fill))", report.state, "\(report.writers)", "\(report.readers)",
                "\(report.counters.written)", "\(report.counters.read)", "\(report.counters.abandoned)", "\(report.counters.redelivered)",
                "\(report.counters.restored)", "\(report.daemon.pid) \(report.daemon.process.rawValue)", "\(report.daemon.generation)",
            ]
        }
        var lines = table([heading] + rows)
        for report in reports {
            for stuck in report.stuck {
                lines.append("STUCK \(report.name): \(describe(stuck)) (stuck-after \(seconds(report.stuckAfterSeconds)))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One channel in full.
    package static func status(_ report: ChannelReport) -> String {
        let c = report.counters
        var lines = [
            "channel \(report.name) (prefix \(report.prefix)): \(report.layout), \(report.protocol), \(report.slots) slots × \(size(report.slotSize)), \(report.state)",
            "fill:      \(report.queued) of \(report.slots) queued (\(percent(report.fill)))",
            "messages:  \(c.written) written, \(c.read) read; \(c.abandoned) abandoned, \(c.redelivered) redelivered (\(c.pendingRedelivery) pending), "
                + "\(c.restored) restored, \(c.dropped) dropped",
            "faults:    \(c.deadClients) dead clients repaired, \(c.failedWakeups) failed wake-ups",
            "delivery:  \(deliveryLine(report))",
            "daemon:    pid \(report.daemon.pid) (\(report.daemon.process.rawValue)), generation \(report.daemon.generation)",
            "stuck:     \(report.stuck.isEmpty ? "nothing" : report.stuck.map(describe).joined(separator: "; ")) (stuck-after \(seconds(report.stuckAfterSeconds)))",
            "clients:   \(report.writers) writer(s), \(report.readers) reader(s)",
        ]
        if !report.clients.isEmpty {
            let fanout = report.delivery == "fanout"
            let heading = ["  PID", "ROLE", "COMMAND", "PROCESS", "HOLDS"] + (fanout ? ["BEHIND", "LOST"] : [])
            let rows = report.clients.map { client in
                ["  \(client.pid)", client.role, client.command ?? "?", client.process.rawValue, holds(client.holding)]
                    + (fanout ? [client.fanout.map { "\($0.behind)" } ?? "-", client.fanout.map { "\($0.lost)" } ?? "-"] : [])
            }
            lines += table([heading] + rows)
        }
        return lines.joined(separator: "\n")
    }

    /// "queue: each message to one reader", or the fan-out policy and its losses.
    static func deliveryLine(_ report: ChannelReport) -> String {
        guard report.delivery == "fanout" else { return "\(report.delivery): each message to one reader" }
        let policy = report.slowReader ?? "?"
        let what = policy == "drop" ? "writers never wait; \(report.counters.lost) messages lost by lapped readers" : "writers wait for the slowest reader"
        return "fanout, slow-reader = \(policy): every reader gets every message; \(what)"
    }

    static func describe(_ stuck: ChannelReport.Stuck) -> String {
        "\(stuck.role) pid \(stuck.pid) (\(stuck.process.rawValue)) has held slot \(stuck.slot) for \(seconds(stuck.heldSeconds))"
    }

    static func holds(_ holding: ChannelReport.Holding?) -> String {
        guard let holding else { return "-" }
        let tickets = holding.count == 1 ? "ticket \(holding.ticket)" : "tickets \(holding.ticket)+\(holding.count)"
        let age = holding.heldSeconds.map { " for \(seconds($0))" } ?? ""
        return "slot \(holding.slot) (\(tickets))\(age)\(holding.stuck ? "  STUCK" : "")"
    }

    static func seconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.1f s", value) : String(format: "%.0f s", value)
    }

    static func percent(_ fraction: Double) -> String {
        String(format: "%.0f%%", fraction * 100)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1024 && bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) B"
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
