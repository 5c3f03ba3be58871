import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

@Suite("client errors: exit codes and messages that name the cause")
struct ClientErrorTests {
    static let channels = """
        [[channel]]
        name = "small"
        slots = 1
        slot-size = 16
        """

    @Test("unknown channel after --wait: 69, says how to check shmd, and waited")
    func unknownChannel() throws {
        let prefix = TestNames.prefix()
        let start = Date()
        let result = try run(Executables.path("shm-reader"), ["nothing", "--prefix", prefix, "--wait", "0.3"])
        #expect(Date().timeIntervalSince(start) >= 0.3)
        #expect(result.status == 69)
        #expect(result.stderr.contains("channel 'nothing' does not exist"))
        #expect(result.stderr.contains("/\(prefix).nothing"))
        #expect(result.stderr.contains("is shmd running? `systemctl status shmd`"))
        let writer = try run(Executables.path("shm-writer"), ["nothing", "--prefix", prefix, "--message", "x"])
        #expect(writer.status == 69)
    }

    @Test("--wait covers the start-up race: a client started before shmd attaches once it is ready")
    func waitForDaemon() throws {
        let prefix = TestNames.prefix()
        let reader = try ChildProcess(Executables.path("shm-reader"), ["demo", "--prefix", prefix, "--wait", "20", "--count", "1"])
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"demo\"\n", prefix: prefix)
        #expect(try daemon.client("shm-writer", ["demo", "--message", "late but there"]).status == 0)
        #expect(reader.waitForExit(seconds: 20) == 0)
        #expect(reader.stdout == "late but there\n")
        #expect(daemon.stop() == 0)
    }

    @Test("message larger than a slot: 65, with both sizes")
    func tooLarge() throws {
        let daemon = try TestDaemon(channels: Self.channels)
        let result = try daemon.client("shm-writer", ["small", "--message", "seventeen bytes!!"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("message of 17 bytes is larger than a slot of channel 'small' (16 bytes)"))
        #expect(daemon.stop() == 0)
    }

    @Test("timeout: an empty channel's reader and a full channel's writer exit 75")
    func timeouts() throws {
        let daemon = try TestDaemon(channels: Self.channels)
        let reader = try daemon.client("shm-reader", ["small", "--timeout", "0.2"])
        #expect(reader.status == 75)
        #expect(reader.stderr.contains("timed out after 0.200 s waiting to receive (channel empty) on channel 'small'"))
        let writer = try daemon.client("shm-writer", ["small", "--message", "one", "--message", "two", "--timeout", "0.2"])
        #expect(writer.status == 75)
        #expect(writer.stderr.contains("send (channel full)"))
        #expect(try daemon.client("shm-reader", ["small", "--count", "1"]).stdout == "one\n")
        #expect(daemon.stop() == 0)
    }

    @Test("permission denied: a user outside the channel's group gets 77 and the fix")
    func permissionDenied() throws {
        let daemon = try TestDaemon(channels: Self.channels)
        // nobody:nogroup is in no group that owns the objects (root:root, mode 0660).
        let result = try run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups",
                Executables.path("shm-reader"), "small", "--prefix", daemon.prefix,
            ])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("permission denied opening /\(daemon.prefix).small of channel 'small'"))
        #expect(result.stderr.contains("member of the channel's group"))
        #expect(daemon.stop() == 0)
    }

    @Test("header mismatch: a segment that is not a shmd channel, or of another layout version, is refused with 65")
    func headerMismatch() throws {
        let prefix = TestNames.prefix()
        let garbage = "/dev/shm/\(prefix).garbage"
        #expect(FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x5A, count: 4096)))
        defer { unlink(garbage) }
        let result = try run(Executables.path("shm-reader"), ["garbage", "--prefix", prefix])
        #expect(result.status == 65)
        #expect(result.stderr.contains("channel 'garbage' has an incompatible header: magic is 0x5A5A5A5A5A5A5A5A, expected SHMDRING or SHMDSEED"))

        var header = Data(count: 4096)
        header.replaceSubrange(0..<8, with: withUnsafeBytes(of: Layout.ringMagic.littleEndian) { Data($0) })
        header.replaceSubrange(8..<12, with: withUnsafeBytes(of: UInt32(99).littleEndian) { Data($0) })
        let future = "/dev/shm/\(prefix).future"
        #expect(FileManager.default.createFile(atPath: future, contents: header))
        defer { unlink(future) }
        let versioned = try run(Executables.path("shm-writer"), ["future", "--prefix", prefix, "--message", "x"])
        #expect(versioned.status == 65)
        #expect(versioned.stderr.contains("layout version is 99, expected \(Layout.version)"))
    }

    @Test(
        "--timeout and --wait refuse nan, inf and negative values with 64, naming the option (nan crashed the clients)",
        arguments: ["shm-writer", "shm-reader"], ["--timeout", "--wait"])
    func badSeconds(client: String, option: String) throws {
        // `--option=-1`: as two words, ArgumentParser takes "-1" for an option and says the value is missing.
        for value in ["nan", "NaN", "inf", "infinity", "-inf", "-1", "-0.001"] {
            let result = try run(
                Executables.path(client),
                ["demo", "--prefix", TestNames.prefix(), "\(option)=\(value)", "--message", "x"]
                    .filter { client == "shm-writer" || ($0 != "--message" && $0 != "x") })
            #expect(result.status == 64, "\(client) \(option)=\(value): \(result.status) \(result.stderr)")
            #expect(
                result.stderr.contains("\(option) must be a finite number of seconds, 0 or more, not "),
                "\(client) \(option)=\(value): \(result.stderr)")
        }
        let split = try run(Executables.path(client), ["demo", option, "-1"])
        #expect(split.status == 64)
        #expect(split.stderr.contains("Missing value for '\(option)"))
    }

    @Test("a segment of 0 bytes is reported as such after the wait (65), not as a channel that does not exist")
    func emptySegment() throws {
        let prefix = TestNames.prefix()
        let path = "/dev/shm/\(prefix).zero"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { unlink(path) }
        for client in ["shm-reader", "shm-writer"] {
            let result = try run(
                Executables.path(client),
                ["zero", "--prefix", prefix, "--wait", "0.2", "--message", "x"]
                    .filter { client == "shm-writer" || ($0 != "--message" && $0 != "x") })
            #expect(result.status == 65, "\(client): \(result.stderr)")
            #expect(
                result.stderr.contains(
                    "segment /\(prefix).zero of channel 'zero' has 0 bytes: it was truncated, "
                        + "or is not a shmd channel; restart shmd (`systemctl restart shmd`)"), "\(client): \(result.stderr)")
        }
    }

    @Test("invalid channel name: 64")
    func invalidName() throws {
        let result = try run(Executables.path("shm-writer"), ["a/b", "--message", "x"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("invalid channel name 'a/b'"))
    }
}
