import ArgumentParser
import Foundation
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Measure a channel carried through NATS JetStream by two shm-bridges, against libnats alone.",
        discussion: """
            Starts one nats-server with JetStream (file storage, loopback, a port the kernel \
            picks) and a shmd of its own with channels a and b per size; then, per round and \
            size, an out bridge from a and an in bridge into b. A writer sends --count messages \
            into a, each stamped with the time it was written, and a reader takes them from b: \
            throughput from the first write to the last read, and end-to-end latency percentiles. \
            With --nats-role (Roles/nats_role.c, `make bench-bridge` builds it), a C publisher \
            and subscriber on libnats do the same over the same server with the same JetStream \
            settings, and the table gives the bridge's throughput as a fraction of theirs. The \
            latency is measured under full load, so it is mostly queueing.

            Examples:
              shm-bench bridge --sizes 64,1024 --count 100000
              shm-bench bridge --nats-role .build/bench-roles/nats_role
            """)

    @Option(help: "Message sizes in bytes, comma-separated (at least 8: the time stamp).")
    var sizes = "64,1024"

    @Option(help: "Messages per measurement.")
    var count = 100_000

    @Option(help: "Interleaved rounds; medians are taken over them.")
    var rounds = 3

    @Option(help: "in-flight of both bridges, and the C role's pending publishes and fetch batch.")
    var inFlight = 1024

    @Option(help: "The nats-server executable.")
    var natsServer = "/usr/sbin/nats-server"

    @Option(help: "The libnats publisher and subscriber (Roles/nats_role.c, built), to measure beside the bridge.")
    var natsRole: String?

    func run() throws {
        let sizeList = sizes.split(separator: ",").compactMap { Int($0) }
        guard !sizeList.isEmpty, sizeList.allSatisfy({ $0 >= 8 && $0 <= 1 << 20 }) else {
            throw ValidationError("--sizes must be a comma-separated list of sizes from 8 to 1048576 bytes, e.g. 64,1024")
        }
        guard count >= 1, rounds >= 1, (1...65536).contains(inFlight) else {
            throw ValidationError("--count and --rounds must be at least 1, --in-flight from 1 to 65536")
        }
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let programs = (executable as NSString).deletingLastPathComponent
        let scene = try BridgeScene(programs: programs, natsServer: natsServer, sizes: sizeList, inFlight: inFlight)
        defer { scene.stop() }
        var bridge: [Int: [BridgeResult]] = [:]
        var libnats: [Int: [BridgeResult]] = [:]
        for round in 1...rounds {
            for size in sizeList {
                progress("round \(round)/\(rounds), \(size) B: shm-bridge")
                bridge[size, default: []].append(try scene.measureBridge(round: round, size: size, count: count, inFlight: inFlight))
                if let natsRole {
                    progress("round \(round)/\(rounds), \(size) B: libnats")
                    libnats[size, default: []].append(try scene.measureLibnats(natsRole, round: round, size: size, count: count, inFlight: inFlight))
                }
            }
        }
        print(
            "shm-bench bridge: \(count) messages per run, \(rounds) rounds (medians, min-max), one \(scene.version) with JetStream, file storage, loopback; in-flight \(inFlight)"
        )
        var rows = [["SIZE", "PATH", "MSG/S", "MB/S", "P50 µs", "P99 µs", "×LIBNATS"]]
        for size in sizeList {
            let ours = BridgeSummary(bridge[size] ?? [])
            let theirs = libnats[size].map(BridgeSummary.init)
            rows.append(ours.row(size: size, path: "shm-bridge (channel → JetStream → channel)", against: theirs))
            if let theirs { rows.append(theirs.row(size: size, path: "libnats alone (C publisher → JetStream → C subscriber)", against: nil)) }
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("shm-bench: \(text)\n".utf8))
    }
}

/// One measurement: throughput and end-to-end latency.
struct BridgeResult {
    var messagesPerSecond: Double
    var p50Microseconds: Double
    var p99Microseconds: Double
}

/// The rounds of one case: the median of each figure, and the range of the throughput.
struct BridgeSummary {
    let median: BridgeResult
    let slowest: Double
    let fastest: Double

    init(_ results: [BridgeResult]) {
        func middle(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
        let rates = results.map(\.messagesPerSecond)
        median = BridgeResult(
            messagesPerSecond: middle(rates), p50Microseconds: middle(results.map(\.p50Microseconds)),
            p99Microseconds: middle(results.map(\.p99Microseconds)))
        slowest = rates.min() ?? 0
        fastest = rates.max() ?? 0
    }

    /// A table row; `other` gives the ratio column.
    func row(size: Int, path: String, against other: BridgeSummary?) -> [String] {
        let rate = median.messagesPerSecond
        return [
            "\(size)", path, String(format: "%.0f (%.0f-%.0f)", rate, slowest, fastest), String(format: "%.2f", rate * Double(size) / 1e6),
            String(format: "%.0f", median.p50Microseconds), String(format: "%.0f", median.p99Microseconds),
            other.map { String(format: "%.2f", rate / $0.median.messagesPerSecond) } ?? "",
        ]
    }
}
