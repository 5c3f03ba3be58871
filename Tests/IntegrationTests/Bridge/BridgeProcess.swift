import Foundation
import Glibc
import TestSupport

/// One `shm-bridge NAME` of a test's bridge.toml, run on a test host with a fake NOTIFY_SOCKET
/// of its own per start, so that a restart's READY=1 is its own. Its log (stderr) of every
/// start is kept, in order, for the test to read.
final class BridgeProcess: @unchecked Sendable {
    let name: String
    let host: NetworkHost
    let configPath: String
    let statusDirectory: String
    private(set) var child: ChildProcess?
    private(set) var notify: FakeNotifySocket?
    private var earlierLogs = ""

    /// Starts the bridge; unless `ready` is false, waits for its READY=1 (both ends attached).
    init(_ name: String, on host: NetworkHost, config configPath: String, statusDirectory: String, ready: Bool = true) throws {
        self.name = name
        self.host = host
        self.configPath = configPath
        self.statusDirectory = statusDirectory
        try start(ready: ready)
    }

    deinit { child?.terminate() }

    /// Starts the bridge (again).
    func start(ready: Bool = true) throws {
        if let child { earlierLogs += child.stderr }
        let socket = try FakeNotifySocket()
        let command = host.launcher + [Executables.path("shm-bridge"), "--config", configPath, name]
        let started = try ChildProcess(command[0], Array(command.dropFirst()), environment: ["NOTIFY_SOCKET": socket.path])
        child = started
        notify = socket
        if ready {
            guard socket.waitFor("READY=1", seconds: 30) else {
                started.terminate()
                throw TestFailure("shm-bridge \(name) on \(host.name) did not send READY=1 in 30 s; stderr:\n\(started.stderr)")
            }
        }
    }

    /// SIGKILL, and waits for it to be gone.
    func kill() {
        child?.signal(SIGKILL)
        _ = child?.waitForExit(seconds: 10)
    }

    /// SIGTERM, then its exit status (`nil` if it still runs after `seconds`: then killed).
    func stop(seconds: Double = 15) -> Int32? {
        guard let child else { return nil }
        child.signal(SIGTERM)
        let status = child.waitForExit(seconds: seconds)
        if status == nil { child.terminate() }
        return status
    }

    /// The log of every start so far.
    var logs: String { earlierLogs + (child?.stderr ?? "") }

    /// The status file's `key value` lines (the counters of the process running now, or last).
    var status: [String: String] {
        guard let text = try? String(contentsOfFile: "\(statusDirectory)/\(name).status", encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return values
    }

    /// Counter `key` of the status file, if the file has it and it belongs to the running process.
    func counter(_ key: String) -> UInt64? {
        let values = status
        guard let child, values["pid"] == "\(child.pid)" else { return nil }
        return values[key].flatMap { UInt64($0) }
    }
}

/// The files a bridge test writes (bridge.toml, the frames, the reader's output, the bridges'
/// state and status), in one temporary folder removed when the value goes.
final class BridgeTestFolder: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "shmd-bridge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` into file `name`, and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let target = file(name)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        chmod(target, mode)
        return target
    }
}
