import Foundation
import Glibc
import TestSupport
import Testing

/// `shm-bridge --print-drop-in NAME`: the IPAddressAllow= lines that open its unit's network to
/// the bridge's NATS servers, derived from the config.
@Suite("shm-bridge --print-drop-in: the unit's network, from the config's servers")
struct BridgeDropInTests {
    static func config(servers: String) throws -> String {
        let path = NSTemporaryDirectory() + "shm-bridge-dropin-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).toml"
        try """
        [[bridge]]
        name = "orders-out"
        direction = "out"
        channel = "orders"
        subject = "orders"
        stream = "ORDERS"
        servers = \(servers)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("addresses as they are, names resolved (and said so), user and password and ports stripped, each address once")
    func addresses() throws {
        let path = try Self.config(
            servers: #"["nats://10.0.0.2:4222", "tls://user:secret@[fd00::5]:4443", "nats://localhost:4222", "nats://10.0.0.2:5222"]"#)
        defer { unlink(path) }
        let printed = try run(Executables.path("shm-bridge"), ["--config", path, "--print-drop-in", "orders-out"])
        #expect(printed.status == 0, "\(printed)")
        let lines = printed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "# shm-bridge@orders-out.service: network access to its NATS servers only, from \(path).")
        #expect(lines.contains { $0.hasPrefix("# localhost resolved to ") && $0.contains("127.0.0.1") }, "\(printed.stdout)")
        let allowed = lines.drop { $0 != "[Service]" }
        #expect(allowed.first == "[Service]")
        #expect(Array(allowed.dropFirst().prefix(2)) == ["IPAddressAllow=10.0.0.2", "IPAddressAllow=fd00::5"], "\(printed.stdout)")
        #expect(allowed.contains("IPAddressAllow=127.0.0.1"), "\(printed.stdout)")
        #expect(allowed.filter { $0 == "IPAddressAllow=10.0.0.2" }.count == 1)
        #expect(!printed.stdout.contains("secret"))
    }

    @Test("a name that does not resolve: exit 78, the name, its server and the fix")
    func unresolvable() throws {
        let path = try Self.config(servers: #"["nats://no-such-host.invalid:4222"]"#)
        defer { unlink(path) }
        let printed = try run(Executables.path("shm-bridge"), ["--config", path, "--print-drop-in", "orders-out"])
        #expect(printed.status == 78, "\(printed)")
        #expect(printed.stderr.contains("cannot resolve 'no-such-host.invalid' of nats://no-such-host.invalid:4222"), "\(printed.stderr)")
        #expect(printed.stderr.contains("give an address, or fix the name"), "\(printed.stderr)")
        #expect(printed.stdout.isEmpty)
    }
}
