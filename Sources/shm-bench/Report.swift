import Foundation

/// Every sample of a run, and the summaries the table, the JSON and the CSV show.
struct Report: Codable {
    struct Environment: Codable {
        var machine: String
        var cpus: Int
        var command: String
        var date: String
        var sameCore: Bool
        /// The `--compare` build's shm-bench (B), when there is one.
        var compared: String?
        /// The reader counts of the fan-out throughput rows (`--fanout-readers`).
        var fanoutReaders: [Int] = [1]
        /// Messages per second of the paced rows (`--pace`); 0 when there were none.
        var pace: UInt64 = 0
    }

    struct Row: Codable {
        var transport: Transport
        /// Whose roles ran it: this build's (A) or the `--compare` build's (B).
        var binary: Binary
        var label: String
        var size: Int
        var mode: BenchCase.Mode
        /// Readers, each of which got every message (fan-out throughput rows); 1 otherwise.
        var readers: Int
        var samples: [Sample]
        var median: Double
        var minimum: Double
        var maximum: Double
        /// Median p99 and p99.9 of the round trips, in ns.
        var p99: Double?
        var p999: Double?
        /// Median CPU time per message (per trip) of all the processes, of the writer or ping,
        /// and of the readers or pong, in ns (`Sample.cpu`).
        var cpu: Double?
        var writerCPU: Double?
        var readerCPU: Double?
        /// Throughput: median over the pipe's median; round trip: pipe's median over this median.
        var ratioToPipe: Double?
        /// B's rows: B's median over A's for the same case (throughput: msgs/s; round trip: p50).
        var ratioToA: Double?
        /// B's rows: B over A in each round, the two measured next to each other; their spread is
        /// what the machine's drift leaves of the comparison.
        var ratiosToAByRound: [Double]?
    }

    var environment: Environment
    var rounds: Int
    var rows: [Row]
    var daemon: DaemonUsage?
    var idleReader: IdleReader?
    /// The language clients against their peers, where both rows ran (issue 11's targets).
    var comparisons: [Comparison] = []
    /// What the table's peer rows need said beside them (a queue shallower than shmd's ring).
    var peerNotes: [String] = []

    /// One row's median over another's, with the target it is held to.
    struct Comparison: Codable {
        var transport: Transport
        var against: Transport
        var size: Int
        var mode: BenchCase.Mode
        /// Readers of both rows (fan-out throughput); 1 otherwise.
        var readers: Int
        /// The two medians (msgs/s per reader, or p50 ns).
        var value: Double
        var againstValue: Double
        /// Throughput: this row's msgs/s over the other's; round trip: this row's p50 over the other's.
        var ratio: Double
        /// Throughput: at least this; round trip: at most this.
        var target: Double
        var met: Bool
    }

    /// What each language client (issue 11), fan-out (issue 13) and shmd fast against the products
    /// users would pick instead (issue 14) is measured against, at which sizes (nil: every size),
    /// and the target; the fan-out's against iceoryx at each reader count the two share.
    static let targets: [(Transport, Transport, BenchCase.Mode, [Int]?, Double)] = [
        (.c, .fast, .throughput, [64], 0.9), (.c, .fast, .roundTrip, [64], 1.2),
        (.python, .iceoryx2Python, .throughput, [64, 1024], 2), (.python, .multiprocessingQueue, .throughput, [64, 1024], 10),
        (.python, .iceoryx2Python, .roundTrip, [64], 1),
        (.fanout, .fast, .throughput, [64], 0.8),
        (.fanout, .iceoryx, .throughput, [64], 10), (.fanout, .iceoryx, .roundTrip, [64], 1.0 / 3),
        (.fast, .boostMQ, .throughput, nil, 3), (.fast, .zmqPushPull, .throughput, nil, 3), (.fast, .zmqPair, .throughput, nil, 3),
        // Issue 14: the fast channel against the C ring of 256 slots (64 slots at 64 KiB) and iceoryx.
        (.fast, .cRing, .throughput, [64, 1024], 1.0), (.fast, .cRing, .throughput, [65536], 0.95), (.fast, .cRing, .roundTrip, [64], 1.3),
        (.fast, .iceoryx, .throughput, [64, 1024], 10), (.fast, .iceoryx, .throughput, [65536], 1.3), (.fast, .iceoryx, .roundTrip, [64], 0.2),
        (.fast, .iceoryxCopy, .throughput, [65536], 1.3),
        // Paced: CPU per message, below the busy-polling peer's (the C ring cannot be paced).
        (.fast, .iceoryx, .paced, nil, 1),
    ]

    struct DaemonUsage: Codable {
        var messages: UInt64
        var cpuMilliseconds: Double
        var contextSwitches: UInt64
    }

    struct IdleReader: Codable {
        var seconds: Double
        var cpuPercent: Double
    }

    init(environment: Environment, rounds: Int, results: [BenchCase: [Sample]], order: [BenchCase]) {
        self.environment = environment
        self.rounds = rounds
        rows = order.compactMap { benchCase in
            guard let samples = results[benchCase], !samples.isEmpty else { return nil }
            let values = samples.compactMap { benchCase.mode == .roundTrip ? $0.p50 : $0.messagesPerSecond }.sorted()
            return Row(
                transport: benchCase.transport, binary: benchCase.binary, label: benchCase.label, size: benchCase.size, mode: benchCase.mode,
                readers: benchCase.readers, samples: samples, median: Self.median(values), minimum: values.first ?? 0, maximum: values.last ?? 0,
                p99: Self.medianIfAny(samples.compactMap(\.p99)), p999: Self.medianIfAny(samples.compactMap(\.p999)),
                cpu: Self.medianIfAny(samples.compactMap(\.cpu)), writerCPU: Self.medianIfAny(samples.compactMap(\.writerCPU)),
                readerCPU: Self.medianIfAny(samples.compactMap(\.readerCPU)))
        }
        for index in rows.indices {
            guard let pipe = rows.first(where: { $0.transport == .pipe && $0.size == rows[index].size && $0.mode == rows[index].mode }),
                pipe.median > 0, rows[index].median > 0
            else { continue }
            rows[index].ratioToPipe = rows[index].mode == .roundTrip ? pipe.median / rows[index].median : rows[index].median / pipe.median
        }
        for index in rows.indices where rows[index].binary == .b {
            let row = rows[index]
            guard
                let a = rows.first(where: {
                    $0.binary == .a && $0.transport == row.transport && $0.size == row.size && $0.mode == row.mode && $0.readers == row.readers
                }),
                a.median > 0
            else { continue }
            rows[index].ratioToA = row.median / a.median
            rows[index].ratiosToAByRound = zip(row.samples, a.samples).compactMap { b, a in
                guard let b = row.mode == .roundTrip ? b.p50 : b.messagesPerSecond,
                    let a = row.mode == .roundTrip ? a.p50 : a.messagesPerSecond, a > 0
                else { return nil }
                return b / a
            }
        }
        comparisons = Self.comparisons(rows)
    }

    /// The comparisons of `targets` at their sizes, where both rows ran (this build's rows).
    /// Two fan-out transports are compared at each reader count both have; anything else at 1.
    static func comparisons(_ rows: [Row]) -> [Comparison] {
        let sizes = Array(Set(rows.map(\.size))).sorted()
        return sizes.flatMap { size in
            targets.flatMap { transport, against, mode, sizes, target -> [Comparison] in
                guard sizes?.contains(size) ?? true else { return [] }
                let counts = transport.fansOut && against.fansOut ? Array(Set(rows.map(\.readers))).sorted() : [1]
                return counts.compactMap { readers in
                    // Paced rows are held to their CPU per message, the others to their median.
                    func median(_ t: Transport) -> Double? {
                        let row = rows.first {
                            $0.transport == t && $0.binary == .a && $0.size == size && $0.mode == mode && $0.readers == readers && $0.median > 0
                        }
                        return mode == .paced ? row?.cpu : row?.median
                    }
                    guard let mine = median(transport), let theirs = median(against) else { return nil }
                    let ratio = mine / theirs
                    return Comparison(
                        transport: transport, against: against, size: size, mode: mode, readers: readers, value: mine, againstValue: theirs,
                        ratio: ratio, target: target,
                        met: mode == .throughput ? ratio >= target : mode == .paced ? ratio < target : ratio <= target)
                }
            }
        }
    }

    /// The measurements that gave no result, by the name the table gives them, and why.
    var failures: [(name: String, why: String)] {
        rows.flatMap { row in
            row.samples.compactMap { sample in
                sample.failure.map { ("\(row.label) \(Self.size(row.size)) \(row.mode.rawValue)", $0) }
            }
        }
    }

    static func medianIfAny(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : median(values.sorted())
    }

    static func median(_ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    // MARK: text

    var table: String {
        var lines: [String] = []
        lines.append(
            "shm-bench: \(environment.machine), \(environment.cpus) CPUs, \(environment.sameCore ? "writer and reader on the same core" : "writer and reader pinned to different cores"), \(rounds) interleaved rounds, medians (min–max)"
        )
        if let compared = environment.compared {
            lines.append(
                "A: this shm-bench's writer and reader; B: those of \(compared), on the same shmd and channels; B/A: B's median over A's (msgs/s, p50)")
        }
        lines.append("")
        lines.append(
            pad("THROUGHPUT", 28) + pad("size", 8) + pad("msgs/s", 10) + pad("MB/s", 10) + pad("min–max msgs/s", 22) + pad("CPU ns/msg", 12)
                + ratioColumns("× pipe"))
        for row in rows where row.mode == .throughput {
            if let failed = failedRow(row) {
                lines.append(failed)
                continue
            }
            lines.append(
                pad(row.label, 28) + pad(Self.size(row.size), 8) + pad(Self.count(row.median), 10)
                    + pad(Self.count(row.median * Double(row.size) / 1e6), 10)
                    + pad("\(Self.count(row.minimum))–\(Self.count(row.maximum))", 22) + pad(row.cpu.map { String(format: "%.0f", $0) } ?? "-", 12)
                    + ratios(row))
        }
        lines += notes
        // With --no-round-trip, no heading over an empty table.
        if rows.contains(where: { $0.mode == .roundTrip }) {
            lines.append("")
            lines.append(
                pad("ROUND TRIP (ping-pong)", 28) + pad("size", 8) + pad("p50", 10) + pad("p99", 10) + pad("p99.9", 10) + pad("p50 min–max", 22)
                    + ratioColumns("pipe/this"))
        }
        for row in rows where row.mode == .roundTrip {
            if let failed = failedRow(row) {
                lines.append(failed)
                continue
            }
            lines.append(
                pad(row.label, 28) + pad(Self.size(row.size), 8) + pad(Self.time(row.median), 10)
                    + pad(row.p99.map(Self.time) ?? "-", 10) + pad(row.p999.map(Self.time) ?? "-", 10)
                    + pad("\(Self.time(row.minimum))–\(Self.time(row.maximum))", 22) + ratios(row))
        }
        let paired = rows.filter { $0.ratiosToAByRound != nil }
        if !paired.isEmpty {
            lines.append("")
            lines.append(pad("B/A BY ROUND (B next to A)", 28) + pad("size", 8) + "throughput: msgs/s; round trip: p50")
            for row in paired {
                lines.append(
                    pad(row.label, 28) + pad(Self.size(row.size), 8) + pad(row.mode.rawValue, 12)
                        + (row.ratiosToAByRound ?? []).map { String(format: "%.3f", $0) }.joined(separator: " "))
            }
        }
        lines += inPlaceBlock
        lines += pacedBlock
        if !comparisons.isEmpty {
            lines.append("")
            lines.append(
                pad("AGAINST THE TARGETS", 28) + pad("size", 8) + pad("ratio", 10) + "target (medians: msgs/s, p50 of the round trip, or paced CPU per message)"
            )
            for comparison in comparisons {
                let what = [.throughput: "throughput", .roundTrip: "round trip", .paced: "paced CPU/msg"][comparison.mode]!
                let bound = [.throughput: "≥", .roundTrip: "≤", .paced: "<"][comparison.mode]!
                let readers = comparison.transport.fansOut && comparison.against.fansOut ? " 1 → \(comparison.readers)" : ""
                let figures =
                    switch comparison.mode {
                    case .throughput: "\(Self.count(comparison.value)) vs \(Self.count(comparison.againstValue)) msgs/s"
                    case .roundTrip: "\(Self.time(comparison.value)) vs \(Self.time(comparison.againstValue))"
                    case .paced: "\(Self.time(comparison.value)) vs \(Self.time(comparison.againstValue)) per message"
                    }
                lines.append(
                    pad("\(comparison.transport.rawValue) / \(comparison.against.rawValue)\(readers)", 28) + pad(Self.size(comparison.size), 8)
                        + pad(String(format: "%.2f×", comparison.ratio), 10)
                        + "\(what) \(bound) \(String(format: "%.3g", comparison.target))× \(comparison.met ? "met" : "NOT MET") (\(figures))")
            }
        }
        if let daemon {
            lines.append("")
            lines.append(
                "shmd while \(Self.count(Double(daemon.messages))) messages streamed: \(String(format: "%.1f", daemon.cpuMilliseconds)) ms CPU, \(daemon.contextSwitches) context switches (its 1 s status tick); \(String(format: "%.6f", Double(daemon.contextSwitches) / Double(max(daemon.messages, 1)))) per message"
            )
        }
        if let idle = idleReader {
            lines.append("idle fast-protocol reader blocked \(Int(idle.seconds)) s: \(String(format: "%.3f", idle.cpuPercent)) % of a core")
        }
        if !failures.isEmpty {
            lines.append("")
            lines += failures.map { "FAILED \($0.name): \($0.why)" }
        }
        let errors = rows.flatMap(\.samples).reduce(0) { $0 + $1.errors }
        let lossy = Array(Set(rows.filter { $0.samples.contains { $0.errors > 0 } }.map(\.label))).sorted()
        lines.append(
            errors == 0
                ? "every message arrived, in order, intact"
                : "ERRORS: \(errors) messages lost, out of order or damaged, in \(lossy.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// What the fan-out and iceoryx rows mean, under the throughput table, when they ran.
    private var notes: [String] {
        var notes: [String] = []
        if let most = rows.filter({ $0.transport.fansOut && $0.mode == .throughput }).map(\.readers).max() {
            notes.append(
                "  fan-out rows 1 → N: msgs/s delivered to EACH reader (every reader receives and checks every message), timed until the last reader has all")
            if most > 1 {
                let processes = most + 1
                notes.append(
                    "  1 → \(most) is \(processes) processes on \(environment.cpus) CPUs\(processes > environment.cpus ? ": oversubscribed" : ""); the writer has a core, the readers share the other"
                )
            }
        }
        if rows.contains(where: { $0.transport.roles == .iceoryx }) {
            notes.append(
                "  iceoryx: its C binding, loan/publish and take/release (zero-copy), WAIT_FOR_CONSUMER and BLOCK_PRODUCER (lossless), queue = shmd's slots, subscribers busy-poll"
            )
        }
        if rows.contains(where: { $0.transport == .iceoryxCopy }) {
            notes.append("  iceoryx, copied out: each subscriber copies the whole chunk out and checks the copy, as shmd fast's reader does")
        }
        if rows.contains(where: { $0.transport.roles == .peer }) {
            notes.append(
                "  peers: blocking send/receive, one message at a time, every sequence number checked; queues as deep as shmd's ring unless said below")
        }
        notes += peerNotes.map { "  " + $0 }
        return notes
    }

    /// A row none of whose rounds gave a result, in place of its zeros.
    private func failedRow(_ row: Row) -> String? {
        guard row.samples.allSatisfy({ $0.failure != nil }) else { return nil }
        return pad(row.label, 28) + pad(Self.size(row.size), 8) + "FAILED in every round (below)"
    }

    /// The last columns' headings: the pipe's ratio, and B/A when there is a B.
    private func ratioColumns(_ pipe: String) -> String {
        environment.compared == nil ? pipe : pad(pipe, 10) + "B/A"
    }

    private func ratios(_ row: Row) -> String {
        let pipe = row.ratioToPipe.map { String(format: "%.2f", $0) } ?? "-"
        return environment.compared == nil ? pipe : pad(pipe, 10) + (row.ratioToA.map { String(format: "%.3f", $0) } ?? "-")
    }

    var csv: String {
        var lines = ["transport,size,mode,round,count,messages_per_second,p50_ns,p99_ns,p999_ns,errors,binary"]
        for row in rows {
            for (round, sample) in row.samples.enumerated() {
                let fields: [String] = [
                    row.transport.rawValue, "\(row.size)", row.mode.rawValue, "\(round + 1)", "\(sample.count)",
                    sample.messagesPerSecond.map { String(format: "%.0f", $0) } ?? "",
                    sample.p50.map { String(format: "%.0f", $0) } ?? "", sample.p99.map { String(format: "%.0f", $0) } ?? "",
                    sample.p999.map { String(format: "%.0f", $0) } ?? "", "\(sample.errors)", row.binary.rawValue,
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Median throughput per transport (and build, with --compare) and size, for gnuplot:
    /// `size transport1 transport2 ...`.
    var plotData: String {
        let series = Transport.allCases.flatMap { transport in Binary.allCases.map { (transport, $0) } }
            .compactMap { series in rows.first { $0.transport == series.0 && $0.binary == series.1 && $0.mode == .throughput } }
        let sizes = Array(Set(rows.map(\.size))).sorted()
        var lines = ["size " + series.map { "\"\($0.label)\"" }.joined(separator: " ")]
        for size in sizes {
            let values = series.map { first in
                rows.first { $0.transport == first.transport && $0.binary == first.binary && $0.size == size && $0.mode == .throughput }
                    .map { String(format: "%.0f", $0.median) } ?? "NaN"
            }
            lines.append("\"\(Self.size(size))\" " + values.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1024 && bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) B"
    }

    static func count(_ value: Double) -> String {
        switch value {
        case 1e9...: return String(format: "%.2fG", value / 1e9)
        case 1e6...: return String(format: "%.2fM", value / 1e6)
        case 1e3...: return String(format: "%.1fk", value / 1e3)
        default: return String(format: "%.0f", value)
        }
    }

    static func time(_ nanoseconds: Double) -> String {
        nanoseconds >= 1e6
            ? String(format: "%.2f ms", nanoseconds / 1e6)
            : nanoseconds >= 1e3 ? String(format: "%.1f µs", nanoseconds / 1e3) : String(format: "%.0f ns", nanoseconds)
    }
}
