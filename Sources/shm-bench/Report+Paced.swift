/// The paced rows (issue 14): at a light, steady load, what each transport's processes burn in
/// CPU per message. A reader that busy-polls burns its core whatever the load; one that spins
/// and then sleeps burns what its spin budget covers between two messages.
extension Report {
    var pacedBlock: [String] {
        let rows = self.rows.filter { $0.mode == .paced && $0.median > 0 }
        guard !rows.isEmpty else { return [] }
        var lines = [
            "",
            pad("PACED (\(Self.count(Double(environment.pace))) msgs/s asked)", 28) + pad("size", 8) + pad("msgs/s", 10) + pad("CPU ns/msg", 12)
                + pad("writer", 10) + pad("reader", 10) + "reader's share of a core",
        ]
        for row in rows {
            let share = row.readerCPU.map { String(format: "%.0f %%", $0 * row.median / 1e9 * 100) } ?? "-"
            lines.append(
                pad(row.label, 28) + pad(Self.size(row.size), 8) + pad(Self.count(row.median), 10) + pad(Self.nanoseconds(row.cpu), 12)
                    + pad(Self.nanoseconds(row.writerCPU), 10) + pad(Self.nanoseconds(row.readerCPU), 10) + share)
        }
        lines.append("  (CPU: user + system of each process from the start barrier to its exit, per message; the writer sleeps between sends)")
        return lines
    }

    static func nanoseconds(_ value: Double?) -> String {
        value.map { String(format: "%.0f", $0) } ?? "-"
    }
}
