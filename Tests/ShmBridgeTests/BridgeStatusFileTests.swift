import Foundation
import ShmInspect
import Testing

@testable import ShmBridge

/// The status file a bridge writes and `shmctl bridges` reads: one format, two ends.
@Suite("bridge status files: BridgeCounters writes, shmctl's BridgeStatus reads")
struct BridgeStatusFileTests {
    /// A fresh folder, removed by the caller.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "shm-bridge-status-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test("every counter crosses by name; a file whose process is no shm-bridge shows 'stopped', nothing in flight")
    func roundTrip() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let counters = BridgeCounters(
            forwarded: 1000, inFlight: 7, acked: 990, republished: 2, redelivered: 5, duplicatesDropped: 4, deadLettered: 3, reconnects: 1)
        try counters.write(folder: folder, name: "orders-in", direction: .in, state: "connected")
        try BridgeCounters().write(folder: folder, name: "a-out", direction: .out, state: "unreachable")

        let (bridges, failures) = BridgeStatus.all(in: [folder])
        #expect(failures.isEmpty, "\(failures)")
        #expect(bridges.map(\.bridge) == ["a-out", "orders-in"])
        let found = try #require(bridges.last)
        // This test process wrote it, and it is not a shm-bridge.
        #expect(found.pid == getpid() && !found.running && found.state == "stopped")
        #expect(found.direction == "in" && found.forwarded == 1000 && found.acked == 990 && found.republished == 2)
        #expect(found.redelivered == 5 && found.duplicatesDropped == 4 && found.deadLettered == 3 && found.reconnects == 1)
        #expect(found.inFlight == 0)
        #expect(found.file == folder + "/orders-in.status")

        let table = BridgeText.list(bridges).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(table.count == 3)
        #expect(table[2] == ["orders-in", "in", "stopped", "-", "1000", "0", "990", "2", "5", "4", "3", "1"], "\(table)")
    }

    @Test("a damaged file is named with what is wrong, and the others are still shown")
    func damaged() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try BridgeCounters().write(folder: folder, name: "good", direction: .out, state: "connected")
        try "bridge bad\ndirection out\npid 1\nstate x\nforwarded many\n".write(toFile: folder + "/bad.status", atomically: true, encoding: .utf8)
        try "bridge worse\nno-value-here\n".write(toFile: folder + "/worse.status", atomically: true, encoding: .utf8)

        let (bridges, failures) = BridgeStatus.all(in: [folder])
        #expect(bridges.map(\.bridge) == ["good"])
        #expect(
            failures.map(\.description).sorted() == [
                "\(folder)/bad.status: 'forwarded' is not a count: 'many'; shm-bridge rewrites it every second while it runs (remove a stale one)",
                "\(folder)/worse.status: line 2 is not 'key value': 'no-value-here'; shm-bridge rewrites it every second while it runs (remove a stale one)",
            ])
    }

    @Test("the folders: the default one, then each status-directory of bridge.toml, once")
    func folders() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = folder + "/bridge.toml"
        try """
        [[bridge]]
        name = "a"
        status-directory = "/srv/a"
        [[bridge]]
        name = "b"
        status-directory = "/srv/a"
        [[bridge]]
        name = "c"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(BridgeStatus.directories(config: config) == [BridgeStatus.defaultDirectory, "/srv/a"])
        #expect(BridgeStatus.directories(config: folder + "/none.toml") == [BridgeStatus.defaultDirectory])
    }
}
