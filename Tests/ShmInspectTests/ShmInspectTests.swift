import Foundation
import Glibc
import ShmKit
import Testing

@testable import ShmInspect

/// The pure parts of shmctl: where it looks, what it takes for a channel, how it computes rates
/// and draws lines. The commands themselves are tested against live daemons (IntegrationTests).
@Suite("ShmInspect: discovery, default prefix, rates, the watch screen")
struct ShmInspectTests {
    /// A fresh directory, removed afterwards by the caller.
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "shminspect-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test("the default prefix: none without a config (every prefix), shmd's default when the file sets none, the file's own")
    func defaultPrefix() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/shmd.toml"
        #expect(DefaultPrefix.read(from: path) == nil)
        try "[[channel]]\nname = \"a\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DefaultPrefix.read(from: path) == "shmd")
        try "[daemon]\nprefix = \"plant\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DefaultPrefix.read(from: path) == "plant")
        try "[daemon\nthis is not TOML".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DefaultPrefix.read(from: path) == nil)
    }

    @Test("candidates: PREFIX.CHANNEL files, split at the first dot without a prefix; semaphores and invalid names are not")
    func candidates() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["shmd.demo", "shmd.a.b", "other.x", "sem.shmd.demo.empty", "nodot", "shmd.bad name"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data()))
        }
        let all = ChannelDiscovery.candidates(prefix: nil, directory: folder).map { "\($0.prefix)|\($0.channel)" }
        #expect(all == ["other|x", "shmd|a.b", "shmd|demo"])
        let mine = ChannelDiscovery.candidates(prefix: "shmd", directory: folder).map(\.channel)
        #expect(mine == ["a.b", "demo"])
    }

    @Test("magic: a regular file with SHMDRING or SHMDSEED is a channel; other bytes, a short file, a FIFO and a symbolic link are not")
    func magic() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func file(_ name: String, _ word: UInt64?) -> String {
            let path = folder + "/" + name
            var bytes = Data(count: 4096)
            if let word { bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: word.littleEndian) { Data($0) }) }
            #expect(FileManager.default.createFile(atPath: path, contents: bytes))
            return path
        }
        #expect(ChannelDiscovery.magic(of: file("ring", Layout.ringMagic)) == .ring)
        #expect(ChannelDiscovery.magic(of: file("seed", Layout.seedMagic)) == .seed)
        #expect(ChannelDiscovery.magic(of: file("zeros", nil)) == nil)
        #expect(FileManager.default.createFile(atPath: folder + "/short", contents: Data([0x53, 0x48])))
        #expect(ChannelDiscovery.magic(of: folder + "/short") == nil)
        #expect(mkfifo(folder + "/fifo", 0o600) == 0)
        #expect(ChannelDiscovery.magic(of: folder + "/fifo") == nil)
        #expect(symlink(folder + "/ring", folder + "/link") == 0)
        #expect(ChannelDiscovery.magic(of: folder + "/link") == nil)
        #expect(ChannelDiscovery.magic(of: folder + "/missing") == nil)
    }

    static func report(written: UInt64, read: UInt64, generation: UInt64 = 1, bytes: Double? = 100) -> ChannelReport {
        ChannelReport(
            prefix: "p", name: "c", layout: "ring", protocol: "fast", delivery: "queue", slowReader: nil, slots: 8, slotSize: 128, queued: written - read,
            fill: Double(written - read) / 8, state: "open", writers: 1, readers: 1,
            counters: .init(
                written: written, read: read, abandoned: 0, redelivered: 0, pendingRedelivery: 0, restored: 0, dropped: 0, deadClients: 0,
                failedWakeups: 0, lost: 0),
            daemon: .init(pid: 1, generation: generation, process: .alive), stuckAfterSeconds: 5, recentMessageBytes: bytes, clients: [],
            stuck: [])
    }

    @Test("rates: the counters' growth over the interval, bytes from the recent mean length; zero across a new generation")
    func rates() {
        let rates = ChannelRates(from: Self.report(written: 1000, read: 900), to: Self.report(written: 3000, read: 2900), seconds: 2)
        #expect(rates == ChannelRates(messagesIn: 1000, messagesOut: 1000, bytesIn: 100_000, bytesOut: 100_000))
        #expect(ChannelRates(from: Self.report(written: 1000, read: 900), to: Self.report(written: 10, read: 5, generation: 2), seconds: 1) == .zero)
        #expect(ChannelRates(from: Self.report(written: 1, read: 1), to: Self.report(written: 2, read: 2), seconds: 0) == .zero)
    }

    @Test("the watch screen: a fill bar of 20, and no line wider than the terminal")
    func watchScreen() {
        #expect(WatchScreen.fillBar(0.5, width: 20) == "##########..........")
        #expect(WatchScreen.fillBar(1.5, width: 4) == "####")
        let lines = WatchScreen.lines([(Self.report(written: 10, read: 4), .zero)], prefix: "p", width: 30, time: "12:00:00")
        #expect(lines.allSatisfy { $0.count <= 30 })
        #expect(lines.contains { $0.hasPrefix("p.c  ring/fast 8×128 B  [") })
    }
}
