import Foundation
import ShmDaemon
import Testing

@testable import ShmBridge

@Suite("bridge.toml: [[bridge]] tables, each mistake named with its line, key and fix")
struct BridgeConfigTests {
    static let valid = """
        [[bridge]]
        name = "demo-out"
        direction = "out"
        channel = "demo"
        subject = "shmd.demo"
        stream = "SHMD_DEMO"
        servers = ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]

        [[bridge]]
        name = "demo-in"
        direction = "in"
        channel = "demo-b"
        subject = "shmd.demo"
        stream = "SHMD_DEMO"
        servers = "nats://10.0.0.1:4222"
        in-flight = 64
        create-stream = false
        dead-letter = "shmd.demo.dead"
        ack-wait = 5
        """

    @Test("a valid file: both directions, with the defaults filled in")
    func valid() throws {
        let bridges = try BridgeConfigLoader.parse(Self.valid, file: "bridge.toml")
        #expect(bridges.map(\.name) == ["demo-out", "demo-in"])
        #expect(bridges[0].direction == .out && bridges[0].durable == nil && bridges[0].inFlight == 1024 && bridges[0].createStream)
        #expect(bridges[0].servers.count == 2 && bridges[0].prefix == "shmd" && bridges[0].duplicateWindowSeconds == 120)
        #expect(bridges[1].direction == .in && bridges[1].durable == "demo-in" && bridges[1].inFlight == 64)
        #expect(bridges[1].deadLetterSubject == "shmd.demo.dead" && !bridges[1].createStream && bridges[1].ackWaitSeconds == 5)
        #expect(bridges[0].tls == nil && bridges[1].tls == nil)
        #expect(bridges[1].servers == ["nats://10.0.0.1:4222"])
    }

    @Test(
        "each mistake: its key, its line and what to do",
        arguments: [
            ("direction = \"out\"", "direction = \"sideways\"", "bridge[0].direction", 3, "must be \"out\""),
            ("channel = \"demo\"\n", "", "bridge[0].channel", 1, "missing: add it"),
            ("servers = [\"nats://10.0.0.1:4222\", \"nats://10.0.0.2:4222\"]", "servers = [\"http://x\"]", "bridge[0].servers", 7, "not a NATS URL"),
            ("stream = \"SHMD_DEMO\"\nservers = [", "stream = \"A.B\"\nservers = [", "bridge[0].stream", 6, "not a stream name"),
            ("in-flight = 64", "in-flight = 0", "bridge[1].in-flight", 16, "out of range"),
            ("ack-wait = 5", "ack-wait = \"5\"", "bridge[1].ack-wait", 19, "wrong type"),
            ("dead-letter", "dead-lettr", "bridge[1].dead-lettr", 18, "unknown key"),
            ("name = \"demo-in\"", "name = \"demo-out\"", "bridge[1].name", 10, "names two bridges"),
            ("ack-wait = 5", "ack-wait = 5\ntls-ca = \"ca.pem\"", "bridge[1].tls-ca", 20, "must be an absolute path"),
            ("ack-wait = 5", "ack-wait = 5\ntls-ca = \"/etc/ca.pem\"", "bridge[1].tls-ca", 20, "needs tls-hostname beside it"),
            ("ack-wait = 5", "ack-wait = 5\ntls-hostname = \"nats:4222\"", "bridge[1].tls-hostname", 20, "not a host name"),
        ])
    func mistakes(_ find: String, _ replace: String, key: String, line: Int, reason: String) throws {
        let text = Self.valid.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.valid)
        do {
            _ = try BridgeConfigLoader.parse(text, file: "bridge.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test("an in bridge's durable defaults to its name; an out bridge may not have one")
    func durable() throws {
        let text = Self.valid.replacingOccurrences(of: "direction = \"out\"", with: "direction = \"out\"\ndurable = \"x\"")
        #expect(throws: ConfigError.self) { try BridgeConfigLoader.parse(text, file: "bridge.toml") }
    }

    @Test("credentials: a user and password file, a token, a .creds file; never one every user can read")
    func credentials() throws {
        let folder = NSTemporaryDirectory() + "creds-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func file(_ name: String, _ text: String, mode: Int) throws -> String {
            let path = "\(folder)/\(name)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
        let user = try file("user.toml", "user = \"bridge\"\npassword = \"s3cret\"\n", mode: 0o600)
        #expect(try CredentialsFile.load(path: user, key: "credentials") == .user("bridge", password: "s3cret"))
        let token = try file("token.toml", "token = \"t0k\"\n", mode: 0o640)
        #expect(try CredentialsFile.load(path: token, key: "credentials") == .token("t0k"))
        let creds = try file("b.creds", "-----BEGIN NATS USER JWT-----\neyJ\n------END NATS USER JWT------\n", mode: 0o600)
        #expect(try CredentialsFile.load(path: creds, key: "credentials") == .credsFile(creds))
        let open = try file("open.toml", "user = \"a\"\npassword = \"b\"\n", mode: 0o644)
        #expect {
            try CredentialsFile.load(path: open, key: "credentials")
        } throws: { error in
            "\(error)".contains("chmod o-r \(open)")
        }
        let empty = try file("empty.toml", "name = \"a\"\n", mode: 0o600)
        #expect(throws: ConfigError.self) { try CredentialsFile.load(path: empty, key: "credentials") }
    }

    @Test("reconnect backoff doubles from 100 ms and stops at 5 s")
    func backoff() {
        #expect((1...8).map { NatsBackoff.milliseconds(attempt: $0) } == [100, 200, 400, 800, 1600, 3200, 5000, 5000])
    }
}

extension BridgeConfigTests {
    @Test("tls-ca and tls-hostname: either one asks for TLS")
    func tls() throws {
        let text = Self.valid.replacingOccurrences(
            of: "ack-wait = 5", with: "ack-wait = 5\ntls-ca = \"/etc/shmd/nats-ca.pem\"\ntls-hostname = \"b.example.com\""
        )
        .replacingOccurrences(of: "servers = [", with: "tls-hostname = \"nats.example.com\"\nservers = [")
        let bridges = try BridgeConfigLoader.parse(text, file: "bridge.toml")
        #expect(bridges[0].tls == NatsTLS(caFile: nil, hostname: "nats.example.com"))
        #expect(bridges[1].tls == NatsTLS(caFile: "/etc/shmd/nats-ca.pem", hostname: "b.example.com"))
        // A tls:// URL asks for TLS too, checked against the system's CAs.
        let url = try BridgeConfigLoader.parse(Self.valid.replacingOccurrences(of: "servers = \"nats://", with: "servers = \"tls://"), file: "bridge.toml")
        #expect(url[1].tls == NatsTLS(caFile: nil, hostname: nil))
    }
}
