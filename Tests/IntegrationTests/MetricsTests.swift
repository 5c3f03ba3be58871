import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// `shmctl metrics` against live daemons whose traffic each test controls: the series equal
/// the channel's counters as `ChannelSnapshot` reads them, in shmctl's output, in the file
/// `--output` replaces atomically, and as the real Prometheus node exporter serves that file.
@Suite("shmctl metrics: Prometheus series of live channels, the atomic file, and node exporter")
struct MetricsTests {
    static let channels = """
        [[channel]]
        name = "ops"
        slots = 8
        slot-size = 64

        [[channel]]
        name = "slow"
        protocol = "classic"
        slots = 2
        slot-size = 32
        """

    static func shmctl(_ arguments: [String]) throws -> Finished {
        try run(Executables.path("shmctl"), arguments, seconds: 30)
    }

    /// A daemon of `channels` whose channel `ops` had `written` messages written and `read` read.
    static func daemon(written: Int, read: Int) throws -> TestDaemon {
        let daemon = try TestDaemon(channels: channels)
        let sent = try daemon.client("shm-writer", ["ops"] + (1...written).flatMap { ["--message", "m\($0)"] })
        let received = try daemon.client("shm-reader", ["ops", "--count", "\(read)"])
        guard sent.status == 0, received.status == 0 else {
            _ = daemon.stop()
            throw TestFailure("traffic on ops failed: \(sent)\n\(received)")
        }
        return daemon
    }

    /// Checks that every series of channel `channel` in `text` equals what `snapshot` says.
    static func expectSeries(
        _ text: PrometheusText, of snapshot: ChannelSnapshot, prefix: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let labels = ["prefix": prefix, "channel": snapshot.channel]
        let counters: [(String, UInt64?)] = [
            ("shmd_messages_written_total", snapshot.counters[.written]),
            ("shmd_messages_read_total", snapshot.counters[.read]),
            ("shmd_slots_abandoned_total", snapshot.counters[.abandoned]),
            ("shmd_messages_redelivered_total", snapshot.counters[.redelivered]),
            ("shmd_messages_dropped_total", snapshot.counters[.dropped]),
            ("shmd_messages_lost_total", snapshot.counters[.lost]),
            ("shmd_semaphore_units_restored_total", snapshot.counters[.restoredUnits]),
            ("shmd_clients_died_total", snapshot.counters[.deadClients]),
            ("shmd_wakeups_failed_total", snapshot.failedWakeups),
        ]
        for (name, count) in counters {
            #expect(text.types[name] == "counter", "\(name)", sourceLocation: sourceLocation)
            #expect(text.value(name, labels) == count.map { Double($0) }, "\(name)", sourceLocation: sourceLocation)
        }
        let writers = snapshot.clients.filter { $0.role == .writer }.count
        let gauges: [(String, [String: String], Double)] = [
            ("shmd_messages_queued", [:], Double(snapshot.queued)),
            ("shmd_messages_pending_redelivery", [:], Double(snapshot.counters[.pendingRedelivery] ?? 0)),
            ("shmd_channel_fill_ratio", [:], Double(snapshot.queued) / Double(snapshot.slotCount)),
            ("shmd_channel_slots", [:], Double(snapshot.slotCount)),
            ("shmd_channel_slot_size_bytes", [:], Double(snapshot.slotSize)),
            ("shmd_clients_attached", ["role": "writer"], Double(writers)),
            ("shmd_clients_attached", ["role": "reader"], Double(snapshot.clients.count - writers)),
            ("shmd_stuck_holdings", [:], 0),
            ("shmd_daemon_up", [:], 1),
            ("shmd_daemon_generation", [:], Double(snapshot.generation)),
            ("shmd_channel_state", ["state": "open"], 1),
        ]
        for (name, extra, level) in gauges {
            #expect(text.types[name] == "gauge", "\(name)", sourceLocation: sourceLocation)
            #expect(text.value(name, labels.merging(extra) { $1 }) == level, "\(name) \(extra)", sourceLocation: sourceLocation)
        }
    }

    @Test("every series of every channel equals its ChannelSnapshot; each family has HELP and TYPE, each series prefix and channel")
    func series() throws {
        let daemon = try Self.daemon(written: 5, read: 3)
        defer { _ = daemon.stop() }
        let writer = try daemon.startClient("shm-writer", ["ops"], stdin: true)
        defer { writer.terminate() }
        #expect(waitUntil(seconds: 10) { ((try? ChannelSnapshot(channel: "ops", prefix: daemon.prefix))?.clients.count ?? 0) == 1 })

        let printed = try Self.shmctl(["metrics", "--prefix", daemon.prefix])
        #expect(printed.status == 0 && printed.stderr.isEmpty, "\(printed)")
        let text = try PrometheusText(printed.stdout)
        let ops = try ChannelSnapshot(channel: "ops", prefix: daemon.prefix)
        #expect(ops.counters[.written] == 5 && ops.counters[.read] == 3 && ops.queued == 2)
        Self.expectSeries(text, of: ops, prefix: daemon.prefix)
        Self.expectSeries(text, of: try ChannelSnapshot(channel: "slow", prefix: daemon.prefix), prefix: daemon.prefix)

        let labels = ["prefix": daemon.prefix, "channel": "ops"]
        #expect(text.value("shmd_messages_written_total", labels) == 5)
        #expect(text.value("shmd_channel_fill_ratio", labels) == 0.25)
        #expect(text.value("shmd_clients_attached", labels.merging(["role": "writer"]) { $1 }) == 1)
        #expect(text.value("shmd_messages_recent_mean_bytes", labels) == 2)
        #expect(text.value("shmd_channel_info", labels.merging(["layout": "ring", "protocol": "fast"]) { $1 }) == 1)
        #expect(text.value("shmd_channel_info", ["channel": "slow", "layout": "ring", "protocol": "classic"]) == 1)
        #expect(text.value("shmd_channels_unreadable") == 0)

        let names = Set(text.samples.map(\.name))
        #expect(names.count == 23, "\(names.sorted())")
        for name in names {
            #expect(text.types[name] != nil && !(text.help[name] ?? "").isEmpty, "\(name) has no TYPE or HELP")
        }
        for sample in text.samples where sample.name != "shmd_channels_unreadable" {
            #expect(sample.labels["prefix"] == daemon.prefix && ["ops", "slow"].contains(sample.labels["channel"]), "\(sample)")
        }
    }

    @Test("--output replaces the file by a rename, leaves no temporary file, and a folder that cannot take it fails with the fix")
    func output() throws {
        let daemon = try Self.daemon(written: 5, read: 3)
        defer { _ = daemon.stop() }
        let folder = NSTemporaryDirectory() + "shmd-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/shmd.prom"
        func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).sorted() }
        func inode() throws -> UInt64 { try (FileManager.default.attributesOfItem(atPath: file)[.systemFileNumber] as? UInt64) ?? 0 }

        let first = try Self.shmctl(["metrics", "--prefix", daemon.prefix, "--output", file])
        #expect(first.status == 0 && first.stdout.isEmpty && first.stderr.isEmpty, "\(first)")
        #expect(try contents() == ["shmd.prom"])
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        let labels = ["prefix": daemon.prefix, "channel": "ops"]
        #expect(try PrometheusText(String(contentsOfFile: file, encoding: .utf8)).value("shmd_messages_written_total", labels) == 5)
        let before = try inode()

        #expect(try daemon.client("shm-writer", ["ops", "--message", "m6", "--message", "m7"]).status == 0)
        let second = try Self.shmctl(["metrics", "--prefix", daemon.prefix, "--output", file])
        #expect(second.status == 0, "\(second)")
        #expect(try contents() == ["shmd.prom"])
        // Another inode: the new file was renamed over the old one, not written into it.
        #expect(try inode() != before)
        let text = try PrometheusText(String(contentsOfFile: file, encoding: .utf8))
        Self.expectSeries(text, of: try ChannelSnapshot(channel: "ops", prefix: daemon.prefix), prefix: daemon.prefix)
        #expect(text.value("shmd_messages_written_total", labels) == 7)

        let missing = try Self.shmctl(["metrics", "--prefix", daemon.prefix, "--output", folder + "/nosuch/shmd.prom"])
        #expect(missing.status == 73, "\(missing)")
        #expect(
            missing.stderr.contains("shmctl: cannot write \(folder)/nosuch/shmd.prom: mkstemp(\(folder)/nosuch/.shmd.prom.XXXXXX): No such file or directory"),
            "\(missing.stderr)")
        #expect(missing.stderr.contains("create it (`mkdir -p \(folder)/nosuch`)"), "\(missing.stderr)")
        let onFolder = try Self.shmctl(["metrics", "--prefix", daemon.prefix, "--output", folder])
        #expect(onFolder.status == 73, "\(onFolder)")
        #expect(onFolder.stderr.contains("Is a directory") && onFolder.stderr.contains("\(folder) is a folder"), "\(onFolder.stderr)")
        #expect(try contents() == ["shmd.prom"])
        #expect(try PrometheusText(String(contentsOfFile: file, encoding: .utf8)).value("shmd_messages_written_total", labels) == 7)
    }

    @Test("a channel that cannot be read is named on stderr and counted in shmd_channels_unreadable; the others are still written")
    func unreadable() throws {
        let daemon = try Self.daemon(written: 2, read: 1)
        defer { _ = daemon.stop() }
        // shmd's magic on a header of zeros: found, and refused when read.
        let broken = "/dev/shm/\(daemon.prefix).broken"
        var page = Data(count: 8192)
        page.replaceSubrange(0..<8, with: Data("SHMDRING".utf8))
        try page.write(to: URL(fileURLWithPath: broken))
        defer { unlink(broken) }

        let printed = try Self.shmctl(["metrics", "--prefix", daemon.prefix])
        #expect(printed.status == 65, "\(printed)")
        #expect(printed.stderr.hasPrefix("shmctl: \(daemon.prefix).broken is left out: "), "\(printed.stderr)")
        let text = try PrometheusText(printed.stdout)
        #expect(text.value("shmd_channels_unreadable") == 1)
        #expect(text.value("shmd_messages_written_total", ["prefix": daemon.prefix, "channel": "ops"]) == 2)
        #expect(text.samples.allSatisfy { $0.labels["channel"] != "broken" })
    }

    @Test("through Prometheus's node exporter (textfile collector): the shmd series are served and equal the counters, and follow the file")
    func nodeExporter() throws {
        let daemon = try Self.daemon(written: 4, read: 1)
        let folder = NSTemporaryDirectory() + "shmd-textfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let exporter = try NodeExporter(textfileDirectory: folder)
        defer { exporter.stop() }
        let labels = ["prefix": daemon.prefix, "channel": "ops"]

        /// Writes the file, then waits until the exporter serves `written` for ops.
        func scrape(written: Double) throws -> PrometheusText? {
            let wrote = try Self.shmctl(["metrics", "--prefix", daemon.prefix, "--output", folder + "/shmd.prom"])
            #expect(wrote.status == 0, "\(wrote)")
            var scraped: PrometheusText?
            _ = waitUntil(seconds: 20, interval: 100_000) {
                scraped = (try? exporter.metrics()).flatMap { try? PrometheusText($0) }
                return scraped?.value("shmd_messages_written_total", labels) == written
            }
            return scraped
        }

        let text = try #require(try scrape(written: 4), "node exporter never served the file")
        #expect(text.value("node_textfile_scrape_error") == 0)
        Self.expectSeries(text, of: try ChannelSnapshot(channel: "ops", prefix: daemon.prefix), prefix: daemon.prefix)
        Self.expectSeries(text, of: try ChannelSnapshot(channel: "slow", prefix: daemon.prefix), prefix: daemon.prefix)
        #expect(text.value("shmd_messages_read_total", labels) == 1 && text.value("shmd_messages_queued", labels) == 3)
        #expect(text.help["shmd_messages_written_total"]?.hasPrefix("Messages written into the channel") == true)

        #expect(try daemon.client("shm-writer", ["ops", "--message", "m5", "--message", "m6"]).status == 0)
        let after = try #require(try scrape(written: 6), "node exporter did not serve the new file")
        Self.expectSeries(after, of: try ChannelSnapshot(channel: "ops", prefix: daemon.prefix), prefix: daemon.prefix)

        exporter.stop()
        #expect(!exporter.child.isRunning)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty, "\(TestNames.leftovers(daemon.prefix))")
    }
}
