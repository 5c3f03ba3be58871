import Foundation
import Glibc
import TestSupport
import Testing

/// Issue 15's "TLS is available when the server asks for it": a server with a certificate from
/// a CA of the test's own. A bridge that trusts that CA (`tls-ca`) and checks the name
/// (`tls-hostname`) carries the stream; one that cannot check the certificate, or that asks for
/// TLS from a server without it, ends with exit 78 and the keys to set, and is not restarted.
@Suite("shm-bridge over TLS: the servers' certificate checked against tls-ca and tls-hostname", .serialized)
struct BridgeTLSTests {
    @Test("a server with TLS, a bridge trusting its CA and checking its name: 20,000 messages cross, in order, once")
    func trusted() throws {
        let folder = try BridgeTestFolder()
        let certificates = try TestCertificates(in: folder)
        let rig = try BridgeRig(
            count: 20_000, twoHosts: false, subnet: 18,
            bridgeExtra: "tls-ca = \"\(certificates.caFile)\"\ntls-hostname = \"\(TestCertificates.hostname)\"",
            natsArguments: certificates.serverArguments)
        try rig.startWriter()
        rig.finish(seconds: 300)
    }

    @Test(
        "the CA not trusted, the wrong name, or TLS asked of a server without it: exit 78, naming the servers and the keys to set",
        arguments: ["untrusted", "wrong-name", "no-tls"])
    func refused(_ case: String) throws {
        let host = try NetworkHost("host-t")
        let folder = try BridgeTestFolder()
        let certificates = try TestCertificates(in: folder)
        let prefix = TestNames.prefix("bt")
        let daemon = try TestDaemon(channels: BridgeBadInputTests.source, prefix: prefix, launcher: host.launcher)
        let nats = try NatsServer(on: host, address: "127.0.0.1", arguments: `case` == "no-tls" ? [] : certificates.serverArguments)
        let extra =
            switch `case` {
            case "untrusted": "tls-hostname = \"\(TestCertificates.hostname)\""
            case "wrong-name": "tls-ca = \"\(certificates.caFile)\"\ntls-hostname = \"other.test\""
            default: "tls-ca = \"\(certificates.caFile)\"\ntls-hostname = \"\(TestCertificates.hostname)\""
            }
        let config = try BridgeBadInputTests.config("tls-\(`case`)", prefix: prefix, server: nats.url(), folder: folder, extra: extra)
        let bridge = try BridgeProcess("tls-\(`case`)", on: host, config: config, statusDirectory: folder.path, ready: false)
        #expect(bridge.child?.waitForExit(seconds: 30) == 78, "\(bridge.logs)")
        let log = bridge.logs
        #expect(log.contains("bridge 'tls-\(`case`)' found no TLS it trusts at \(nats.url())"), "\(log)")
        let fix = `case` == "no-tls" ? "the server does not require TLS (none, or allow_non_tls): require it there" : "set tls-ca in \(config)"
        #expect(log.contains(fix), "\(log)")
        #expect(daemon.stop() == 0)
        #expect(host.shmFiles.isEmpty, "\(host.shmFiles)")
    }
}
