import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShmKit

/// shm-writer and shm-reader detach from the channel when told to end: shmd logged every client
/// stopped with SIGTERM or Ctrl-C as "client died: … exited without detaching".
@Suite("clients detach on SIGTERM, SIGINT and SIGHUP; SIGKILL and SIGPIPE stay shmd's to repair")
struct ClientSignalTests {
    /// A daemon with one 1-slot channel that sweeps often, so that a client left behind is found
    /// within the test.
    static func daemon(_ proto: String) throws -> TestDaemon {
        try TestDaemon(
            channels: """
                [[channel]]
                name = "sig"
                slots = 1
                slot-size = 64
                protocol = "\(proto)"
                """, daemonExtra: "sweep-interval = 0.05")
    }

    /// The channel's header, mapped in this process, for the waiter counts.
    struct Header {
        let segment: SharedMemorySegment
        init(_ daemon: TestDaemon) throws { segment = try SharedMemorySegment.open(name: "/\(daemon.prefix).sig") }
        var header: ChannelHeader { ChannelHeader(base: segment.base) }
        func waiting(_ role: ClientRole) -> UInt32 {
            (role == .writer ? header.writersWaiting : header.readersWaiting).load(ordering: .relaxed)
        }
    }

    static func snapshot(_ daemon: TestDaemon) -> ChannelSnapshot? { try? ChannelSnapshot(channel: "sig", prefix: daemon.prefix) }

    static func attached(_ daemon: TestDaemon) -> [Int32] { snapshot(daemon)?.clients.map(\.process.pid) ?? [] }

    /// Whether `pid` sleeps in the kernel on a futex: a semaphore wait.
    static func asleep(_ pid: Int32) -> Bool {
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
        return wchan.contains("futex")
    }

    /// Index of the first STATUS= message after `index` that says `text`, waiting for it.
    static func status(_ daemon: TestDaemon, _ text: String, after index: Int) -> Int? {
        var found: Int?
        _ = waitUntil(seconds: 10) {
            found = daemon.notify.messages.enumerated().first { $0.offset > index && $0.element.contains("STATUS=") && $0.element.contains(text) }?.offset
            return found != nil
        }
        return found
    }

    /// Waits until `client` is attached, asleep in its wait (counted among the waiters in the fast
    /// protocol) and seen by a sweep, sends it `signal`, and checks that it died of it after
    /// detaching: its entry gone, its count taken back, and shmd's next sweep finding no dead
    /// client.
    func stopAsleep(
        _ client: ChildProcess, role: ClientRole, proto: String, by signal: Int32, daemon: TestDaemon,
        header: Header, statusIndex: inout Int
    ) throws {
        #expect(waitUntil(seconds: 10) { Self.attached(daemon).contains(client.pid) }, "\(role) never attached: \(client.stderr)")
        #expect(
            waitUntil(seconds: 10) { Self.asleep(client.pid) && (proto == "classic" || header.waiting(role) == 1) },
            "\(role) never slept")
        statusIndex = try #require(Self.status(daemon, "1 client attached", after: statusIndex))
        client.signal(signal)
        #expect(client.waitForExit(seconds: 10) == 128 + signal, "\(role): \(client.stderr)")
        // Detached before it died: the entry is gone now, not at shmd's next sweep.
        #expect(!Self.attached(daemon).contains(client.pid))
        #expect(header.waiting(role) == 0)
        // A sweep after that found no one dead.
        statusIndex = try #require(Self.status(daemon, "0 clients attached", after: statusIndex))
        #expect(Self.snapshot(daemon)?.counters[.deadClients] == 0)
        #expect(!daemon.child.stderr.contains("client died"), "\(daemon.child.stderr)")
    }

    @Test(
        "a blocked reader and a blocked writer die of the signal (128 + N), detached: shmd never says \"client died\"",
        arguments: [SIGTERM, SIGINT, SIGHUP], ["fast", "classic"])
    func detachOnSignal(signal: Int32, proto: String) throws {
        let daemon = try Self.daemon(proto)
        let header = try Header(daemon)
        var statusIndex = -1
        let reader = try daemon.startClient("shm-reader", ["sig"])
        try stopAsleep(reader, role: .reader, proto: proto, by: signal, daemon: daemon, header: header, statusIndex: &statusIndex)

        // One message fills the single slot; the writer sleeps on the second.
        let writer = try daemon.startClient("shm-writer", ["sig", "--message", "one", "--message", "two"])
        #expect(waitUntil(seconds: 10) { Self.snapshot(daemon)?.counters[.written] == 1 })
        try stopAsleep(writer, role: .writer, proto: proto, by: signal, daemon: daemon, header: header, statusIndex: &statusIndex)

        // The channel works on: the first message is there, the second was never sent.
        let after = try daemon.client("shm-reader", ["sig", "--count", "1"], seconds: 20)
        #expect(after.status == 0 && after.stdout == "one\n", "\(after.stderr)")
        #expect(try daemon.client("shm-writer", ["sig", "--message", "three"]).status == 0)
        #expect(try daemon.client("shm-reader", ["sig", "--count", "1"]).stdout == "three\n")
        #expect(daemon.stop() == 0)
        #expect(!daemon.child.stderr.contains("client died"))
    }

    @Test(
        "SIGTERM mid-stream, to one then the other: both detach, and every message is read exactly once, in order",
        arguments: ["fast", "classic"], [ClientRole.reader, .writer])
    func stopMidStream(proto: String, first: ClientRole) throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "sig"
                slots = 64
                slot-size = 64
                protocol = "\(proto)"
                """, daemonExtra: "sweep-interval = 0.05")
        let lines = (0..<300_000).map { String(format: "message %07d of the stream", $0) }
        let input = NSTemporaryDirectory() + "\(daemon.prefix).input"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: false, encoding: .utf8)
        defer { unlink(input) }
        let reader = try daemon.startClient("shm-reader", ["sig"])
        // The shell execs the writer: the signal goes to it, its stdin a file.
        let writer = try ChildProcess("/bin/sh", ["-c", "exec \"$0\" sig --prefix \"$1\" < \"$2\"", Executables.path("shm-writer"), daemon.prefix, input])
        let both = try #require(Self.status(daemon, "2 clients attached", after: -1))
        #expect(waitUntil(seconds: 30) { (Self.snapshot(daemon)?.counters[.read] ?? 0) >= 5_000 })
        for (role, client) in first == .reader ? [("reader", reader), ("writer", writer)] : [("writer", writer), ("reader", reader)] {
            client.signal(SIGTERM)
            #expect(client.waitForExit(seconds: 10) == 128 + SIGTERM, "\(role): \(client.stderr)")
        }
        #expect(Self.attached(daemon).isEmpty)
        _ = try #require(Self.status(daemon, "0 clients attached", after: both))
        let counters = try #require(Self.snapshot(daemon)?.counters)
        #expect(counters[.deadClients] == 0 && counters[.abandoned] == 0, "\(counters)")
        let written = Int(counters[.written] ?? 0)
        let read = Int(counters[.read] ?? 0)
        #expect(written < lines.count, "the writer was stopped before it sent everything")
        // Whatever the first reader took it printed whole; the rest is still in the channel.
        let rest = try daemon.client("shm-reader", ["sig", "--count", "\(written - read)"], seconds: 30)
        let restLines = rest.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let received = reader.stdoutLines + restLines
        #expect(received.count == written, "\(reader.stdoutLines.count) + \(restLines.count) lines for \(written) written")
        let firstDifference = zip(received, lines).enumerated().first { $0.element.0 != Substring($0.element.1) }?.offset
        #expect(firstDifference == nil, "first difference at message \(firstDifference ?? -1)")
        #expect(daemon.stop() == 0)
        #expect(!daemon.child.stderr.contains("client died"))
    }

    @Test(
        "SIGPIPE while printing a message it holds: the reader dies of it at once and shmd puts the message back",
        arguments: ["fast", "classic"])
    func closedOutput(proto: String) throws {
        let daemon = try Self.daemon(proto)
        // A pipe nobody reads: the reader's first write raises SIGPIPE.
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let reader = try ChildProcess(Executables.path("shm-reader"), ["sig", "--prefix", daemon.prefix], stdout: pipe.fileHandleForWriting)
        try pipe.fileHandleForWriting.close()
        #expect(waitUntil(seconds: 10) { Self.attached(daemon).contains(reader.pid) })
        #expect(try daemon.client("shm-writer", ["sig", "--message", "kept"]).status == 0)
        #expect(reader.waitForExit(seconds: 10) == 128 + SIGPIPE, "\(reader.stderr)")
        #expect(
            daemon.logs("client died: reader pid \(reader.pid) of channel sig exited without detaching; put back 1 message(s)", within: 10),
            "\(daemon.child.stderr)")
        let again = try daemon.client("shm-reader", ["sig", "--count", "1"], seconds: 20)
        #expect(again.stdout == "kept\n", "\(again.stderr)")
        #expect(daemon.stop() == 0)
    }

    @Test("SIGKILL still leaves the entry, which shmd repairs and reports", arguments: ["fast", "classic"])
    func killStaysShmds(proto: String) throws {
        let daemon = try Self.daemon(proto)
        let header = try Header(daemon)
        let reader = try daemon.startClient("shm-reader", ["sig"])
        #expect(waitUntil(seconds: 10) { Self.asleep(reader.pid) && (proto == "classic" || header.waiting(.reader) == 1) })
        reader.signal(SIGKILL)
        #expect(reader.waitForExit(seconds: 10) == 128 + SIGKILL)
        #expect(daemon.logs("client died: reader pid \(reader.pid) of channel sig exited without detaching", within: 10))
        #expect(waitUntil(seconds: 10) { Self.attached(daemon).isEmpty })
        #expect(header.waiting(.reader) == 0)
        #expect(Self.snapshot(daemon)?.counters[.deadClients] == 1)
        #expect(daemon.stop() == 0)
    }
}
