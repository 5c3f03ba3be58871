import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("shmd killed and restarted: channels adopted, nothing queued lost, clients carry on")
struct DaemonRestartTests {
    static let channel = """
        [[channel]]
        name = "stream"
        slots = 64
        slot-size = 64
        """

    @Test("kill -9 mid-stream: the new shmd adopts the channel, queued messages survive, the same clients finish")
    func killAndAdopt() throws {
        let prefix = TestNames.prefix()
        var first: TestDaemon? = try TestDaemon(channels: Self.channel, prefix: prefix)
        let firstPid = first!.child.pid
        let reader = try first!.startClient("shm-reader", ["stream", "--count", "30"])
        let writer = try first!.startClient("shm-writer", ["stream"], stdin: true)
        // Ten messages read before the crash, while both clients are attached.
        writer.write(Data((0..<10).map { "before \($0)\n" }.joined().utf8))
        #expect(waitUntil(seconds: 10) { reader.stdoutLines.count == 10 })

        first!.child.signal(SIGKILL)
        #expect(first!.child.waitForExit(seconds: 10) == 128 + SIGKILL)
        // With no daemon, the writer keeps going: ten more are queued (the reader takes them too).
        writer.write(Data((0..<10).map { "orphaned \($0)\n" }.joined().utf8))
        #expect(waitUntil(seconds: 10) { reader.stdoutLines.count == 20 })
        first = nil

        let second = try TestDaemon(channels: Self.channel, prefix: prefix)
        #expect(second.logs("<5>channel stream adopted from shmd pid \(firstPid), which is gone: generation 2"))
        #expect(!second.child.stderr.contains("<4>"), "nothing alarming: \(second.child.stderr)")
        let snapshot = try ChannelSnapshot(channel: "stream", prefix: prefix)
        #expect(snapshot.generation == 2)
        #expect(snapshot.daemon.pid == second.child.pid)
        #expect(snapshot.clients.count == 2)

        writer.feed(Data((0..<10).map { "after \($0)\n" }.joined().utf8))
        #expect(writer.waitForExit(seconds: 10) == 0, "\(writer.stderr)")
        #expect(reader.waitForExit(seconds: 10) == 0, "\(reader.stderr)")
        let expected = (0..<10).map { "before \($0)" } + (0..<10).map { "orphaned \($0)" } + (0..<10).map { "after \($0)" }
        #expect(reader.stdoutLines.map(String.init) == expected)
        #expect(second.stop() == 0)
        #expect(TestNames.leftovers(prefix).isEmpty)
    }

    @Test("messages queued when shmd died are delivered after it restarts")
    func queuedSurvive() throws {
        let prefix = TestNames.prefix()
        let first = try TestDaemon(channels: Self.channel, prefix: prefix)
        #expect(try first.client("shm-writer", ["stream", "--message", "one", "--message", "two", "--message", "three"]).status == 0)
        first.child.signal(SIGKILL)
        _ = first.child.waitForExit(seconds: 10)

        let second = try TestDaemon(channels: Self.channel, prefix: prefix)
        #expect(second.logs("3 messages queued"))
        #expect(try second.client("shm-reader", ["stream", "--count", "3"]).stdout == "one\ntwo\nthree\n")
        #expect(second.stop() == 0)
        #expect(TestNames.leftovers(prefix).isEmpty)
    }

    @Test("a second shmd with the same prefix refuses while the first runs, and touches nothing")
    func secondDaemonRefused() throws {
        let prefix = TestNames.prefix()
        let first = try TestDaemon(channels: Self.channel, prefix: prefix)
        #expect(try first.client("shm-writer", ["stream", "--message", "kept"]).status == 0)
        let path = NSTemporaryDirectory() + "\(prefix)-second.toml"
        try "[daemon]\nprefix = \"\(prefix)\"\n\(Self.channel)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let second = try run(Executables.path("shmd"), ["--config", path], seconds: 20)
        #expect(second.status == 75)
        #expect(second.stderr.contains("channel 'stream' belongs to a shmd that is still running (pid \(first.child.pid))"))
        #expect(try first.client("shm-reader", ["stream", "--count", "1"]).stdout == "kept\n")
        #expect(first.stop() == 0)
        #expect(TestNames.leftovers(prefix).isEmpty)
    }

    @Test("a dead daemon's channel of another layout version is replaced, with the reason logged")
    func otherVersionReplaced() throws {
        let prefix = TestNames.prefix()
        let first = try TestDaemon(channels: Self.channel, prefix: prefix)
        first.child.signal(SIGKILL)
        _ = first.child.waitForExit(seconds: 10)
        // Make it look like the work of another shmd version.
        let fd = open("/dev/shm/\(prefix).stream", O_RDWR)
        #expect(fd >= 0)
        var version: UInt32 = 99
        #expect(pwrite(fd, &version, 4, 8) == 4)
        close(fd)

        let second = try TestDaemon(channels: Self.channel, prefix: prefix)
        #expect(
            second.logs(
                "<4>channel stream left by an earlier shmd could not be adopted: its layout version is 99, this shmd needs \(Layout.version); replaced by a new one"
            ))
        #expect(try second.client("shm-writer", ["stream", "--message", "fresh"]).status == 0)
        #expect(try second.client("shm-reader", ["stream", "--count", "1"]).stdout == "fresh\n")
        #expect(second.stop() == 0)
        #expect(TestNames.leftovers(prefix).isEmpty)
    }
}
