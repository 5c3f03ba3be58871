import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("reload on SIGHUP with a fake NOTIFY_SOCKET")
struct ReloadTests {
    /// Rewrites the daemon's config with `channels` under the same prefix.
    func rewrite(_ daemon: TestDaemon, _ channels: String) throws {
        try "[daemon]\nprefix = \"\(daemon.prefix)\"\nsweep-interval = 0.1\n\(channels)"
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
    }

    /// SIGHUP, then waits until the daemon logged `line` and sent READY=1 once more.
    func reload(_ daemon: TestDaemon, expecting line: String) -> Bool {
        let readies = daemon.notify.messages.filter { $0.contains("READY=1") }.count
        daemon.child.signal(SIGHUP)
        return waitUntil(seconds: 10) {
            daemon.child.stderr.contains(line) && daemon.notify.messages.filter { $0.contains("READY=1") }.count > readies
        }
    }

    @Test("RELOADING=1 then READY=1; added and removed channels; unchanged ones keep their messages; a broken file changes nothing")
    func reloadCycle() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "keep"
                slots = 4
                slot-size = 64

                [[channel]]
                name = "gone"
                """, daemonExtra: "sweep-interval = 0.1")
        #expect(try daemon.client("shm-writer", ["keep", "--message", "queued before the reload"]).status == 0)
        let blocked = try daemon.startClient("shm-reader", ["gone"])
        #expect(waitUntil(seconds: 10) { (try? ChannelSnapshot(channel: "gone", prefix: daemon.prefix))?.clients.count == 1 })

        try rewrite(
            daemon,
            """
            [[channel]]
            name = "keep"
            slots = 4
            slot-size = 64

            [[channel]]
            name = "added"
            """)
        #expect(reload(daemon, expecting: "reloaded \(daemon.configPath): 1 added (added), 1 removed (gone), 1 unchanged, 0 refused"))
        let messages = daemon.notify.messages
        let reloading = messages.lastIndex { $0.contains("RELOADING=1") }
        let ready = messages.lastIndex { $0.contains("READY=1") }
        #expect(reloading != nil && ready != nil && reloading! < ready!)
        #expect(messages.contains { $0.contains("RELOADING=1\nMONOTONIC_USEC=") })
        #expect(blocked.waitForExit(seconds: 5) == 0)
        #expect(blocked.stderr.contains("channel 'gone' was closed by shmd"))
        #expect(
            TestNames.leftovers(daemon.prefix)
                == [
                    "\(daemon.prefix).added", "\(daemon.prefix).keep", "sem.\(daemon.prefix).added.empty", "sem.\(daemon.prefix).added.full",
                    "sem.\(daemon.prefix).keep.empty", "sem.\(daemon.prefix).keep.full",
                ].sorted())

        try rewrite(daemon, "[[channel]]\nname = \"keep\"\nslots = 99\n")
        #expect(reload(daemon, expecting: "<4>reload refused a change: channel 'keep' is live as a ring of 4 slots × 64 bytes"))
        try "[[channel]]\nname = ".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        #expect(reload(daemon, expecting: "<3>reload failed: \(daemon.configPath):2"))
        #expect(daemon.notify.messages.last { $0.contains("STATUS=") }?.contains("last reload: failed") == true)

        #expect(try daemon.client("shm-reader", ["keep", "--count", "1"]).stdout == "queued before the reload\n")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("a client killed while attached is reported once as dead, with its pid and role, and its entry freed")
    func deadClientReported() throws {
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"demo\"\n", daemonExtra: "sweep-interval = 0.05")
        let reader = try daemon.startClient("shm-reader", ["demo"])
        // Killed once asleep (its spin over), so that it is counted among the waiters.
        #expect(
            waitUntil(seconds: 10) {
                (try? ChannelSnapshot(channel: "demo", prefix: daemon.prefix)).map { $0.clients.count == 1 && $0.sleepingReaders == 1 } ?? false
            })
        reader.signal(SIGKILL)
        _ = reader.waitForExit(seconds: 5)
        // It was blocked waiting for a message: asleep, counted among the waiters, now taken back.
        let line = "<4>client died: reader pid \(reader.pid) of channel demo exited without detaching; it was asleep"
        #expect(waitUntil(seconds: 10) { daemon.child.stderr.contains(line) })
        #expect(daemon.child.stderr.contains("client_pid=\(reader.pid)"))
        #expect(waitUntil(seconds: 5) { (try? ChannelSnapshot(channel: "demo", prefix: daemon.prefix))?.clients.isEmpty == true })
        usleep(300_000)
        #expect(daemon.child.stderr.components(separatedBy: "client died").count == 2, "reported more than once")
        #expect(try daemon.client("shm-writer", ["demo", "--message", "after"]).status == 0)
        #expect(try daemon.client("shm-reader", ["demo", "--count", "1", "--timeout", "5"]).stdout == "after\n")
        #expect(daemon.stop() == 0)
    }
}
