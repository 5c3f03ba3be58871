import Foundation
import TestSupport

/// A CA of the test's own and a server certificate it signed, for `nats.test` and 127.0.0.1,
/// made with the openssl command line (P-256 keys: quick to make).
struct TestCertificates {
    let caFile: String
    let serverCertificate: String
    let serverKey: String
    /// The name in the server certificate (beside IP 127.0.0.1).
    static let hostname = "nats.test"

    init(in folder: BridgeTestFolder) throws {
        caFile = folder.file("ca.pem")
        serverCertificate = folder.file("server.pem")
        serverKey = folder.file("server.key")
        let caKey = folder.file("ca.key")
        let request = folder.file("server.csr")
        let extensions = try folder.write("server.ext", "subjectAltName=DNS:\(Self.hostname),IP:127.0.0.1\n")
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for arguments in [
            ["req", "-x509"] + key + ["-keyout", caKey, "-out", caFile, "-days", "2", "-subj", "/CN=shmd test CA"],
            ["req"] + key + ["-keyout", serverKey, "-out", request, "-subj", "/CN=\(Self.hostname)"],
            [
                "x509", "-req", "-in", request, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-out", serverCertificate, "-days", "2",
                "-extfile", extensions,
            ],
        ] {
            let made = try run("/usr/bin/openssl", arguments)
            guard made.status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")): \(made)") }
        }
    }

    /// nats-server's options for TLS with this certificate.
    var serverArguments: [String] { ["--tls", "--tlscert", serverCertificate, "--tlskey", serverKey] }
}
