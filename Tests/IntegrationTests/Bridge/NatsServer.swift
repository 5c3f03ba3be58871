import Foundation
import Glibc
import TestSupport

/// A nats-server with JetStream (file storage in a folder of its own) started on a test's host.
/// The first start lets the server pick a free port (`-p -1`, unless one is given) and reads it
/// from its log; a restart (`start()` after `stop()`) reuses that port and the same store, as an
/// operator's restart would.
final class NatsServer: @unchecked Sendable {
    let host: NetworkHost
    /// The address it listens on (within `host`).
    let address: String
    let storeDirectory: String
    private let extraArguments: [String]
    private(set) var port = -1
    private(set) var child: ChildProcess?

    /// Starts the server and waits until it accepts clients.
    ///
    /// - Parameter arguments: more nats-server options (`--user`, `--pass`).
    init(on host: NetworkHost, address: String = "0.0.0.0", port: Int = -1, arguments: [String] = []) throws {
        self.host = host
        self.address = address
        self.port = port
        extraArguments = arguments
        storeDirectory = NSTemporaryDirectory() + "shmd-nats-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: storeDirectory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        child?.terminate()
        try? FileManager.default.removeItem(atPath: storeDirectory)
    }

    /// `nats://ADDRESS:PORT` for a client on `host` (or a host linked to it, with its address).
    func url(_ reachable: String? = nil) -> String { "nats://\(reachable ?? (address == "0.0.0.0" ? "127.0.0.1" : address)):\(port)" }

    /// Starts the server (again), on the port it had, and waits until it serves.
    func start() throws {
        let command =
            host.launcher + ["/usr/sbin/nats-server", "-js", "-sd", storeDirectory, "-a", address, "-p", "\(port)"] + extraArguments
        let started = try ChildProcess(command[0], Array(command.dropFirst()))
        let marker = "Listening for client connections on "
        guard waitUntil(seconds: 20, { started.stderr.contains("Server is ready") || !started.isRunning }), started.isRunning,
            let line = started.stderr.split(separator: "\n").first(where: { $0.contains(marker) }),
            let listened = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else {
            started.terminate()
            throw TestFailure("nats-server on \(host.name) did not start: \(started.stderr)")
        }
        port = listened
        child = started
    }

    /// Stops the server as an operator would (SIGTERM: it shuts JetStream down, with its store
    /// flushed), and waits until it is gone.
    func stop() {
        child?.signal(SIGTERM)
        if child?.waitForExit(seconds: 15) == nil { child?.terminate() }
        child = nil
    }
}
