import Foundation

/// What `shmctl watch` draws: a heading, then per channel its fill bar, rates in and out, its
/// clients and what is stuck, each line cut to the terminal's width.
package enum WatchScreen {
    package static func lines(
        _ channels: [(report: ChannelReport, rates: ChannelRates)], prefix: String?, width: Int, time: String
    ) -> [String] {
        var lines = ["shmctl watch: \(prefix.map { "prefix \($0)" } ?? "every prefix"), \(time); q quits", ""]
        if channels.isEmpty { lines.append("no shmd channels in /dev/shm" + (prefix.map { " under prefix \($0)" } ?? "")) }
        for (report, rates) in channels {
            let bar = fillBar(report.fill, width: 20)
            lines.append(
                "\(report.prefix).\(report.name)  \(report.layout)/\(report.protocol) \(report.slots)×\(ReportText.size(report.slotSize))  "
                    + "[\(bar)] \(ReportText.percent(report.fill)) \(report.queued)/\(report.slots)  \(report.state)")
            lines.append(
                "  in  \(rate(rates.messagesIn)) msg/s \(megabytes(rates.bytesIn)) MB/s   "
                    + "out \(rate(rates.messagesOut)) msg/s \(megabytes(rates.bytesOut)) MB/s")
            lines.append("  \(clients(report, role: "writer"))   \(clients(report, role: "reader"))")
            for stuck in report.stuck { lines.append("  STUCK: " + ReportText.describe(stuck)) }
            lines.append("")
        }
        return lines.map { cut($0, to: width) }
    }

    static func fillBar(_ fill: Double, width: Int) -> String {
        let filled = max(0, min(width, Int((fill * Double(width)).rounded())))
        return String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    }

    static func rate(_ value: Double) -> String {
        switch value {
        case 1e6...: return String(format: "%.2fM", value / 1e6)
        case 1e3...: return String(format: "%.1fk", value / 1e3)
        default: return String(format: "%.0f", value)
        }
    }

    static func megabytes(_ bytes: Double) -> String {
        String(format: "%.1f", bytes / 1e6)
    }

    static func clients(_ report: ChannelReport, role: String) -> String {
        let mine = report.clients.filter { $0.role == role }
        let list = mine.prefix(4).map { "\($0.pid) \($0.command ?? "?")\($0.process == .alive ? "" : " (\($0.process.rawValue))")" }
        let more = mine.count > 4 ? ", +\(mine.count - 4)" : ""
        return "\(role)s \(mine.count)" + (mine.isEmpty ? "" : ": " + list.joined(separator: ", ") + more)
    }

    static func cut(_ line: String, to width: Int) -> String {
        line.count <= width ? line : String(line.prefix(max(0, width)))
    }
}
