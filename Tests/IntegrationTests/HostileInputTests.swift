import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// The hostile-input suite (README "Security model"): shmd and its clients facing a local user
/// who plants, truncates and rewrites what is in /dev/shm. Each test runs in a private /dev/shm
/// (`PrivateShm`) with users it creates itself, and attacks one finding of the security review.
@Suite("hostile /dev/shm: planted, truncated and rewritten objects")
struct HostileInputTests {
    static let channels = """
        [[channel]]
        name = "demo"
        slots = 4
        slot-size = 64
        [[channel]]
        name = "other"
        slots = 4
        slot-size = 64
        """

    /// Segment offsets (Layout.swift): header size, state, write cursor, the client table after
    /// the header page, the slot descriptors after the client table (64 entries).
    enum Offset {
        static let headerSize = 16
        static let state = 48
        static let writeCursor = 256
        static let clients = Layout.headerSize
        static let descriptors = Layout.descriptorsOffset(clientCapacity: Layout.defaultClientCapacity)
    }

    /// A pid no process can have: /proc/sys/kernel/pid_max is one past the largest.
    static var impossiblePid: Int32 {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? "4194304"
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
    }

    /// How many clients the header of `segment` (a file in `shm`) records.
    static func attachedClients(_ shm: PrivateShm, _ segment: String) -> Int {
        guard let data = FileManager.default.contents(atPath: shm.path(segment)), data.count >= Offset.descriptors else { return 0 }
        return (0..<Layout.defaultClientCapacity).filter { index in
            data.subdata(in: (Offset.clients + 64 * index)..<(Offset.clients + 64 * index + 4)).withUnsafeBytes { $0.load(as: Int32.self) } != 0
        }.count
    }

    @Test(
        "finding 1: a channel planted by another user before shmd starts is never adopted, as root or as the service user; the log names owner and mode",
        arguments: [false, true])
    func plantedChannelIsNotAdopted(asServiceUser: Bool) throws {
        let shm = try PrivateShm()
        let planter = try TestUser.ensure("shmdhostile")
        let service = asServiceUser ? try TestUser.ensure("shmdservice") : nil
        let prefix = TestNames.prefix("plant")
        // A real channel, whose daemon then dies: its objects are what a planter copies.
        let first = try TestDaemon(
            channels: Self.channels, prefix: prefix, launcher: shm.launcher(),
            daemonLauncher: shm.launcher(as: service))
        #expect(try first.client("shm-writer", ["demo", "--message", "planted message"]).status == 0)
        first.child.signal(SIGKILL)
        #expect(first.child.waitForExit(seconds: 10) != nil)
        // The planter's copies: same bytes, its own files, mode 0666, before the next shmd starts.
        let names = ["\(prefix).demo", "sem.\(prefix).demo.empty", "sem.\(prefix).demo.full"]
        for name in names {
            let copy = NSTemporaryDirectory() + name
            #expect(
                FileManager.default.createFile(
                    atPath: copy, contents: FileManager.default.contents(atPath: shm.path(name)),
                    attributes: [.posixPermissions: 0o644]))
            defer { unlink(copy) }
            #expect(unlink(shm.path(name)) == 0)
            #expect(try shm.shell("cp \(copy) /dev/shm/\(name) && chmod 0666 /dev/shm/\(name)", as: planter).status == 0)
        }

        let second = try TestDaemon(
            channels: Self.channels, prefix: prefix, launcher: shm.launcher(),
            daemonLauncher: shm.launcher(as: service))
        #expect(!second.child.stderr.contains("channel demo adopted"), "\(second.child.stderr)")
        #expect(second.logs("owned by shmdhostile"), "\(second.child.stderr)")
        #expect(second.logs("mode 0666"))
        if asServiceUser {
            // shmd may not remove another user's files in the sticky /dev/shm: demo stays down,
            // named with the fix, and the other channel is served.
            #expect(second.logs("channel demo not started"))
            #expect(second.logs("rm /dev/shm/\(prefix).demo"))
            #expect(second.notify.waitFor(containing: "not started: demo", seconds: 5))
        } else {
            // Root removes them and makes the channel anew, its own, with the configured mode.
            var info = stat()
            #expect(stat(shm.path("\(prefix).demo"), &info) == 0 && info.st_uid == 0 && info.st_mode & 0o777 == 0o660)
            #expect(try second.client("shm-writer", ["demo", "--message", "fresh"]).status == 0)
            #expect(try second.client("shm-reader", ["demo", "--count", "1", "--timeout", "5"]).stdout == "fresh\n")
        }
        #expect(try second.client("shm-writer", ["other", "--message", "still served"]).status == 0)
        #expect(try second.client("shm-reader", ["other", "--count", "1", "--timeout", "5"]).stdout == "still served\n")
        #expect(second.stop() == 0)
    }

    @Test("finding 10: a planted symbolic link is named with its target and owner; the other channels still start, STATUS says which did not")
    func plantedSymlink() throws {
        let shm = try PrivateShm()
        let planter = try TestUser.ensure("shmdhostile")
        let service = try TestUser.ensure("shmdservice")
        let prefix = TestNames.prefix("link")
        #expect(try shm.shell("ln -s /nonexistent/x /dev/shm/\(prefix).demo", as: planter).status == 0)
        let daemon = try TestDaemon(
            channels: Self.channels, prefix: prefix, launcher: shm.launcher(),
            daemonLauncher: shm.launcher(as: service))
        #expect(daemon.logs("channel demo not started"), "\(daemon.child.stderr)")
        #expect(daemon.logs("a symbolic link to /nonexistent/x, owned by shmdhostile"))
        #expect(!daemon.child.stderr.contains("another process created it meanwhile"))
        #expect(daemon.notify.waitFor(containing: "not started: demo", seconds: 5))
        #expect(try daemon.client("shm-writer", ["other", "--message", "served"]).status == 0)
        #expect(daemon.stop() == 0)

        // With that channel alone nothing can start: exit 73, with the same words.
        let config = NSTemporaryDirectory() + "\(prefix)-alone.toml"
        try "[daemon]\nprefix = \"\(prefix)\"\n[[channel]]\nname = \"demo\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        let command = shm.launcher(as: service) + [Executables.path("shmd"), "--config", config]
        let alone = try run(command[0], Array(command.dropFirst()), seconds: 20)
        #expect(alone.status == 73, "\(alone.stderr)")
        #expect(alone.stderr.contains("a symbolic link to /nonexistent/x"))
    }

    @Test(
        "finding 2: a truncated segment never kills shmd or a client: the clients exit 65 naming it, shmd replaces the channel, the other channel delivers every message"
    )
    func truncatedSegment() throws {
        let shm = try PrivateShm()
        let prefix = TestNames.prefix("trunc")
        let daemon = try TestDaemon(channels: Self.channels, daemonExtra: "sweep-interval = 0.2", prefix: prefix, launcher: shm.launcher())
        let reader = try daemon.startClient("shm-reader", ["demo", "--timeout", "30"])
        let writer = try daemon.startClient("shm-writer", ["demo", "--timeout", "30"], stdin: true)
        writer.write(Data(String(repeating: "to a segment that will vanish\n", count: 1000).utf8))
        #expect(waitUntil(seconds: 10) { Self.attachedClients(shm, "\(prefix).demo") == 2 })
        let calmCount = 20_000
        let calmReader = try daemon.startClient("shm-reader", ["other", "--count", "\(calmCount)", "--timeout", "30"])
        let calmWriter = try daemon.startClient("shm-writer", ["other", "--timeout", "30"], stdin: true)

        #expect(truncate(shm.path("\(prefix).demo"), 0) == 0)
        calmWriter.feed(Data((0..<calmCount).map { "calm \($0)\n" }.joined().utf8))

        for client in [reader, writer] {
            let status = client.waitForExit(seconds: 10)
            #expect(status == 65, "\(client.stderr)")
            #expect(client.stderr.contains("truncated") || client.stderr.contains("damaged"), "\(client.stderr)")
        }
        #expect(daemon.logs("channel demo is damaged: segment /\(prefix).demo was truncated"), "\(daemon.child.stderr)")
        #expect(calmWriter.waitForExit(seconds: 30) == 0)
        #expect(calmReader.waitForExit(seconds: 30) == 0)
        #expect(calmReader.stdoutLines.map(String.init) == (0..<calmCount).map { "calm \($0)" })
        // The replaced channel works.
        #expect(try daemon.client("shm-writer", ["demo", "--message", "after", "--wait", "5"]).status == 0)
        #expect(try daemon.client("shm-reader", ["demo", "--count", "1", "--timeout", "5"]).stdout == "after\n")
        #expect(daemon.stop() == 0)
    }

    @Test("finding 3: a header size poked to 0x7fff0000 with a dead client entry does not crash shmd; the channel is replaced")
    func pokedHeaderSize() throws {
        let shm = try PrivateShm()
        let prefix = TestNames.prefix("geom")
        let daemon = try TestDaemon(channels: Self.channels, daemonExtra: "sweep-interval = 0.2", prefix: prefix, launcher: shm.launcher())
        let segment = "\(prefix).demo"
        let entry = Offset.clients
        try shm.poke(segment, offset: entry + 8, value: UInt64(1)) // start time
        try shm.poke(segment, offset: entry + 4, value: UInt32(1)) // writer
        try shm.poke(segment, offset: entry + 16, value: UInt64(1)) // holds ticket 0
        try shm.poke(segment, offset: entry + 24, value: UInt32(1))
        try shm.poke(segment, offset: entry, value: Self.impossiblePid)
        try shm.poke(segment, offset: Offset.headerSize, value: UInt32(0x7fff_0000))
        #expect(daemon.logs("channel demo is damaged: its header's header size is 2147418112"), "\(daemon.child.stderr)")
        #expect(try daemon.client("shm-writer", ["demo", "--message", "replaced", "--wait", "5"]).status == 0)
        #expect(try daemon.client("shm-reader", ["demo", "--count", "1", "--timeout", "5"]).stdout == "replaced\n")
        #expect(daemon.stop(seconds: 5) == 0)
    }

    @Test("finding 3: a dead client entry claiming 0xffffffff held tickets is repaired at once; shmd stays idle and stops at once")
    func absurdHeldCount() throws {
        let shm = try PrivateShm()
        let prefix = TestNames.prefix("held")
        let daemon = try TestDaemon(channels: Self.channels, daemonExtra: "sweep-interval = 0.2", prefix: prefix, launcher: shm.launcher())
        #expect(try daemon.client("shm-writer", ["demo", "--message", "kept"]).status == 0)
        let segment = "\(prefix).demo"
        let entry = Offset.clients
        try shm.poke(segment, offset: entry + 8, value: UInt64(1))
        try shm.poke(segment, offset: entry + 4, value: UInt32(2)) // reader
        try shm.poke(segment, offset: entry + 16, value: UInt64(1))
        try shm.poke(segment, offset: entry + 24, value: UInt32.max)
        try shm.poke(segment, offset: entry, value: Self.impossiblePid)
        #expect(daemon.logs("client died: reader pid \(Self.impossiblePid)", within: 3), "\(daemon.child.stderr)")
        // Not a message was touched: the one queued is still there, once.
        #expect(try daemon.client("shm-reader", ["demo", "--count", "1", "--timeout", "5"]).stdout == "kept\n")
        let started = Date()
        #expect(daemon.stop(seconds: 2) == 0)
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test(
        "finding 5: a slot sequence set far ahead of its cursor ends a client with 65 within its timeout, in both protocols",
        arguments: ["fast", "classic"])
    func sequenceAheadOfCursor(proto: String) throws {
        let shm = try PrivateShm()
        let prefix = TestNames.prefix("seq")
        let channel = "[[channel]]\nname = \"demo\"\nslots = 4\nslot-size = 64\nprotocol = \"\(proto)\"\n"
        // A sweep slower than the test: the clients must find it themselves.
        let daemon = try TestDaemon(channels: channel, daemonExtra: "sweep-interval = 600", prefix: prefix, launcher: shm.launcher())
        let segment = "\(prefix).demo"
        // The writer's slot, ticket 0: claimed by nobody, already a lap ahead.
        try shm.poke(segment, offset: Offset.descriptors, value: UInt64(2 * 1000))
        let writer = try daemon.client("shm-writer", ["demo", "--message", "x", "--timeout", "3"], seconds: 10)
        #expect(writer.status == 65, "\(writer.stderr)")
        #expect(writer.stderr.contains("ahead of the write cursor"), "\(writer.stderr)")
        #expect(daemon.stop() == 0)

        // The reader's: a message in ticket 0 (so a classic reader gets its unit), then its slot moved ahead.
        let again = try TestDaemon(channels: channel, daemonExtra: "sweep-interval = 600", prefix: prefix, launcher: shm.launcher())
        #expect(try again.client("shm-writer", ["demo", "--message", "x"]).status == 0)
        try shm.poke(segment, offset: Offset.descriptors, value: UInt64(2 * 1000 + 1))
        let reader = try again.client("shm-reader", ["demo", "--count", "1", "--timeout", "3"], seconds: 10)
        #expect(reader.status == 65, "\(reader.stderr)")
        #expect(reader.stderr.contains("ahead of the read cursor"), "\(reader.stderr)")
        #expect(again.stop() == 0)
    }

    @Test("finding 12: a state of 7 is reported as damage (65), not as a close; an absurd cursor is never reported as billions of messages")
    func impossibleStateAndCursor() throws {
        let shm = try PrivateShm()
        let prefix = TestNames.prefix("state")
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "demo"
                slots = 1
                slot-size = 64
                """, daemonExtra: "sweep-interval = 600", prefix: prefix, launcher: shm.launcher())
        #expect(try daemon.client("shm-writer", ["demo", "--message", "fills the ring"]).status == 0)
        let blocked = try daemon.startClient("shm-writer", ["demo", "--message", "waits", "--timeout", "20"])
        #expect(waitUntil(seconds: 10) { Self.attachedClients(shm, "\(prefix).demo") == 1 })
        try shm.poke("\(prefix).demo", offset: Offset.state, value: UInt32(7))
        #expect(blocked.waitForExit(seconds: 5) == 65, "\(blocked.stderr)")
        #expect(blocked.stderr.contains("its state is 7"), "\(blocked.stderr)")

        try shm.poke("\(prefix).demo", offset: Offset.state, value: UInt32(1))
        try shm.poke("\(prefix).demo", offset: Offset.writeCursor, value: UInt64(1) << 62)
        #expect(daemon.stop() == 0)
        #expect(!daemon.child.stderr.contains("4611686018427387"), "\(daemon.child.stderr)")
        #expect(daemon.logs("removed with 1 undelivered messages"))
    }
}

@Suite("a full client table refuses the attach")
struct ClientTableLimitTests {
    @Test("finding 6: the client after max-clients gets exit 69 with the table size and the key that raises it, never an unrecorded attach")
    func clientPastTheTableRefused() throws {
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"crowd\"\nslots = 4\nslot-size = 64\nmax-clients = 4\n")
        var readers: [ChildProcess] = []
        defer { for reader in readers { reader.terminate() } }
        for _ in 0..<4 { readers.append(try daemon.startClient("shm-reader", ["crowd", "--timeout", "60"])) }
        #expect(waitUntil(seconds: 20) { (try? ChannelSnapshot(channel: "crowd", prefix: daemon.prefix))?.clients.count == 4 })
        #expect(try ChannelSnapshot(channel: "crowd", prefix: daemon.prefix).clientCapacity == 4)
        let refused = try daemon.client("shm-reader", ["crowd", "--timeout", "1"], seconds: 10)
        #expect(refused.status == 69, "\(refused.stderr)")
        #expect(refused.stderr.contains("already has 4 attached clients"), "\(refused.stderr)")
        #expect(refused.stderr.contains("raise max-clients"), "\(refused.stderr)")
        // A freed entry is taken again.
        readers.removeLast().terminate()
        #expect(waitUntil(seconds: 5) { (try? ChannelSnapshot(channel: "crowd", prefix: daemon.prefix))?.clients.count == 3 })
        #expect(try daemon.client("shm-writer", ["crowd", "--message", "room again"]).status == 0)
        for reader in readers { reader.terminate() }
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("without max-clients a channel's table records 64 clients")
    func defaultTable() throws {
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"crowd\"\nslots = 4\nslot-size = 64\n")
        #expect(try ChannelSnapshot(channel: "crowd", prefix: daemon.prefix).clientCapacity == 64)
        #expect(daemon.stop() == 0)
    }
}
