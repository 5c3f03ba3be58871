import Foundation
import Glibc
import TestSupport

/// Debian's Prometheus node exporter, run for one test on a free loopback port with only its
/// textfile collector, reading `directory`; its `/metrics` fetched with curl.
final class NodeExporter {
    static let executable = "/usr/bin/prometheus-node-exporter"

    let directory: String
    let port: UInt16
    let child: ChildProcess

    /// Installs the exporter when it is missing (as root, with apt-get), starts it, and waits
    /// until it answers.
    ///
    /// - Throws: `TestFailure` when it cannot be installed, or does not answer within 20 s.
    init(textfileDirectory directory: String) throws {
        try Self.install()
        self.directory = directory
        port = try Self.freePort()
        child = try ChildProcess(
            Self.executable,
            [
                "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
                "--collector.textfile.directory=\(directory)",
            ])
        guard waitUntil(seconds: 20, interval: 50_000, { (try? self.metrics()) != nil }) else {
            child.terminate()
            throw TestFailure("\(Self.executable) did not answer on 127.0.0.1:\(port) within 20 s: \(child.stderr)")
        }
    }

    /// Kills the exporter.
    func stop() { child.terminate() }

    deinit { child.terminate() }

    /// `GET /metrics`.
    ///
    /// - Throws: `TestFailure` when curl fails (the exporter is not listening yet, or answered
    ///   with an HTTP error).
    func metrics() throws -> String {
        let fetched = try run(
            "/usr/bin/env", ["curl", "--silent", "--show-error", "--fail", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"], seconds: 10)
        guard fetched.status == 0 else { throw TestFailure("curl of 127.0.0.1:\(port)/metrics: \(fetched)") }
        return fetched.stdout
    }

    /// A port no socket on 127.0.0.1 uses now: bound with port 0, read back, and released
    /// (another process may take it meanwhile; the exporter then fails at start, and says so).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("bind of 127.0.0.1:0: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    /// `apt-get install prometheus-node-exporter` (what `make deps` does) when it is missing.
    static func install() throws {
        guard !FileManager.default.isExecutableFile(atPath: executable) else { return }
        guard getuid() == 0 else {
            throw TestFailure("\(executable) is missing: install Debian's prometheus-node-exporter (`make deps` as root does)")
        }
        let apt = try run(
            "/bin/sh", ["-c", "apt-get update -qq && apt-get install -y -qq prometheus-node-exporter"],
            environment: ["DEBIAN_FRONTEND": "noninteractive"], seconds: 300)
        guard apt.status == 0, FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("apt-get install prometheus-node-exporter failed: \(apt)")
        }
    }
}
