/// The in-place rows (issue 14): how the time per message grows with its size, against the
/// bytes the reader touches (all of them: it checks every byte), and against the copying fast
/// channel at the same size when it ran.
extension Report {
    var inPlaceBlock: [String] {
        let rows = self.rows.filter { $0.transport == .inPlace && $0.mode == .throughput && $0.binary == .a && $0.median > 0 }
        guard !rows.isEmpty else { return [] }
        var lines = [
            "",
            pad("IN PLACE (claim and borrow)", 28) + pad("size", 8) + pad("ns/msg", 10) + pad("ns/KiB", 10)
                + pad("GB/s", 8) + "copying fast channel: ns/msg, × in place",
        ]
        for row in rows {
            let perMessage = 1e9 / row.median
            let copying = self.rows.first { $0.transport == .fast && $0.mode == .throughput && $0.binary == .a && $0.size == row.size && $0.median > 0 }
            let against = copying.map { String(format: "%.0f, %.2f×", 1e9 / $0.median, row.median / $0.median) } ?? "-"
            lines.append(
                pad(row.label, 28) + pad(Self.size(row.size), 8) + pad(String(format: "%.0f", perMessage), 10)
                    + pad(String(format: "%.1f", perMessage / (Double(row.size) / 1024)), 10)
                    + pad(String(format: "%.1f", row.median * Double(row.size) / 1e9), 8) + against)
        }
        lines.append(
            "  (the writer fills every byte of the slot and the reader checks every byte where it lies; ns/KiB level across sizes = time grows with the bytes touched)"
        )
        return lines
    }
}
