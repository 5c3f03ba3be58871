import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("shmd life cycle with a fake NOTIFY_SOCKET")
struct DaemonLifecycleTests {
    static let channels = """
        [[channel]]
        name = "demo"
        slots = 8
        slot-size = 128

        [[channel]]
        name = "seed"
        layout = "seed"
        segment = "/@P_my_shm"
        sem-empty = "/@P_sem_empty"
        sem-full = "/@P_sem_full"
        """

    static func expectedFiles(_ prefix: String) -> [String] {
        [
            "\(prefix).demo", "sem.\(prefix).demo.empty", "sem.\(prefix).demo.full",
            "\(prefix).seed", "\(prefix)_my_shm", "sem.\(prefix)_sem_empty", "sem.\(prefix)_sem_full",
        ].sorted()
    }

    @Test("READY=1 only once every object exists; SIGTERM gives STOPPING=1, exit 0, nothing left")
    func readyThenCleanStop() throws {
        let prefix = TestNames.prefix()
        let expected = Self.expectedFiles(prefix)
        let atReady = Locked<[String]?>(nil)
        let daemon = try TestDaemon(channels: Self.channels, prefix: prefix) { message in
            if message.split(separator: "\n").contains("READY=1") {
                atReady.value = TestNames.leftovers(prefix)
            }
        }
        #expect(atReady.value == expected)
        #expect(daemon.notify.messages.contains { $0.contains("STATUS=2 channels") })

        let status = daemon.stop()
        #expect(status == 0)
        #expect(daemon.notify.waitFor("STOPPING=1", seconds: 1))
        let stopping = daemon.notify.messages.firstIndex { $0.contains("STOPPING=1") }
        let ready = daemon.notify.messages.firstIndex { $0.contains("READY=1") }
        #expect(ready != nil && stopping != nil && ready! < stopping!)
        #expect(TestNames.leftovers(prefix).isEmpty)
        #expect(daemon.logs("<5>stopped"))
    }

    @Test("a reader blocked at SIGTERM exits 0 by itself within a second; a blocked writer exits 69")
    func blockedClientsWakeOnStop() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "demo"
                slots = 1
                slot-size = 64

                [[channel]]
                name = "full"
                slots = 1
                slot-size = 64
                """)
        let reader = try daemon.startClient("shm-reader", ["demo"])
        #expect(try daemon.client("shm-writer", ["full", "--message", "fills the only slot"]).status == 0)
        let writer = try daemon.startClient("shm-writer", ["full", "--message", "blocks"])
        let attached = waitUntil(seconds: 10) {
            let demo = try? ChannelSnapshot(channel: "demo", prefix: daemon.prefix)
            let full = try? ChannelSnapshot(channel: "full", prefix: daemon.prefix)
            return demo?.clients.count == 1 && full?.clients.count == 1
        }
        #expect(attached)

        daemon.child.signal(SIGTERM)
        let start = Date()
        let readerStatus = reader.waitForExit(seconds: 1)
        let elapsed = Date().timeIntervalSince(start)
        let writerStatus = writer.waitForExit(seconds: 1)
        #expect(readerStatus == 0, "reader still running or failed: \(reader.stderr)")
        #expect(elapsed < 1)
        #expect(writerStatus == 69)
        #expect(writer.stderr.contains("channel 'full' was closed by shmd"))
        #expect(daemon.stop() == 0)
        reader.terminate()
        writer.terminate()
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("a reader drains what was queued before the channel closed, then exits 0")
    func readerDrainsAfterClose() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "demo"
                slots = 8
                slot-size = 64
                """)
        #expect(try daemon.client("shm-writer", ["demo", "--message", "one", "--message", "two", "--message", "three"]).status == 0)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
        // The objects are gone: a new reader cannot attach; what was queued is lost with them, and said so.
        #expect(daemon.logs("removed with 3 undelivered messages"))
    }

    @Test("objects left by an earlier run are removed, logged, and created anew")
    func leftoversAreReplaced() throws {
        let prefix = TestNames.prefix()
        let stale = "/dev/shm/\(prefix).demo"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data(repeating: 0xAB, count: 100)))
        #expect(FileManager.default.createFile(atPath: "/dev/shm/sem.\(prefix).demo.full", contents: Data(repeating: 0, count: 32)))
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "demo"
                """, prefix: prefix)
        // Garbage where the segment should be: not adopted, replaced, and the reason logged.
        #expect(
            daemon.logs(
                "<4>channel demo left by an earlier shmd could not be adopted: its segment size is 100 bytes, this shmd needs at least 4096 bytes; replaced by a new one"
            ))
        #expect(daemon.logs("objects=/\(prefix).demo,/\(prefix).demo.full"))
        _ = stale
        let snapshot = try ChannelSnapshot(channel: "demo", prefix: prefix)
        #expect(snapshot.state == .open)
        #expect(try daemon.client("shm-writer", ["demo", "--message", "fresh"]).status == 0)
        #expect(try daemon.client("shm-reader", ["demo", "--count", "1"]).stdout == "fresh\n")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(prefix).isEmpty)
    }

    @Test("objects are created with the configured mode, whatever the umask")
    func modeIsExact() throws {
        // The channel's own mode wins over the daemon's; group write survives the usual umask
        // 022. (0640 was used here before group-read-only modes were refused.)
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "demo"
                mode = "0660"
                """, daemonExtra: "mode = \"0600\"")
        for file in ["\(daemon.prefix).demo", "sem.\(daemon.prefix).demo.empty", "sem.\(daemon.prefix).demo.full"] {
            var info = stat()
            #expect(stat("/dev/shm/" + file, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o660, "\(file) has mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        #expect(daemon.stop() == 0)
    }
}
