import Foundation
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// What `shm-bench bridge` runs against: one nats-server with JetStream in a folder of its own,
/// a shmd with channels `a-SIZE` and `b-SIZE`, and, per measurement, the two bridges between
/// them. Everything it started is stopped (SIGTERM, then waited for) and the folder removed by
/// `stop`, also after a failure.
final class BridgeScene {
    let folder: String
    let prefix = "bridgebench\(getpid())"
    /// nats-server's client URL, from its ports file.
    private(set) var url = ""
    let version: String
    private let programs: String
    private var children: [Process] = []

    init(programs: String, natsServer: String, sizes: [Int], inFlight: Int) throws {
        self.programs = programs
        // The children inherit this thread's signal mask, and a parent may have left SIGTERM
        // blocked (test runners do): nats-server, which keeps the mask it is given, would then
        // never stop.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        var template = Array((NSTemporaryDirectory() + "shm-bench-bridge-\(getpid()).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))") }
        folder = String(cString: made)
        version = (try? Self.output(natsServer, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "?"
        do {
            _ = try start(
                natsServer, ["-js", "-sd", folder + "/jetstream", "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", folder], log: "nats-server")
            url = try Self.waitFor("nats-server's ports file in \(folder)", seconds: 20) {
                guard let name = (try? FileManager.default.contentsOfDirectory(atPath: self.folder))?.first(where: { $0.hasSuffix(".ports") }),
                    let data = FileManager.default.contents(atPath: self.folder + "/" + name),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String]]
                else { return nil }
                return object["nats"]?.first
            }
            // A window of in-flight messages is peeked in the ring: it must hold one.
            let slots = max(256, inFlight)
            var toml = "[daemon]\nprefix = \"\(prefix)\"\nsweep-interval = 1.0\n"
            for size in sizes {
                for side in ["a", "b"] { toml += "\n[[channel]]\nname = \"\(side)-\(size)\"\nslots = \(slots)\nslot-size = \(size)\n" }
            }
            try toml.write(toFile: folder + "/shmd.toml", atomically: true, encoding: .utf8)
            _ = try start(programs + "/shmd", ["--config", folder + "/shmd.toml"], log: "shmd")
            let last = "b-\(sizes.last!)"
            _ = try Self.waitFor("shmd's channel \(last)", seconds: 20) { (try? ChannelSnapshot(channel: last, prefix: self.prefix)).map { _ in true } }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops every child, newest first, and removes the folder.
    func stop() {
        for child in children.reversed() where child.isRunning {
            child.terminate()
            child.waitUntilExit()
        }
        children = []
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The writer into a, the two bridges, the reader from b.
    func measureBridge(round: Int, size: Int, count: Int, inFlight: Int) throws -> BridgeResult {
        let name = "r\(round)-\(size)"
        let config = folder + "/bridge-\(name).toml"
        var toml = ""
        for (direction, channel) in [("out", "a-\(size)"), ("in", "b-\(size)")] {
            toml += """
                [[bridge]]
                name = "\(direction)-\(name)"
                direction = "\(direction)"
                channel = "\(channel)"
                prefix = "\(prefix)"
                subject = "bridge.\(round).\(size)"
                stream = "BRIDGE_\(round)_\(size)"
                servers = ["\(url)"]
                in-flight = \(inFlight)
                state-directory = "\(folder)"
                status-directory = "\(folder)"


                """
        }
        try toml.write(toFile: config, atomically: true, encoding: .utf8)
        var bridges: [Process] = []
        defer {
            for bridge in bridges where bridge.isRunning {
                bridge.terminate()
                bridge.waitUntilExit()
            }
            children.removeAll { child in bridges.contains { $0 === child } }
        }
        // The out bridge first: it creates the stream the in bridge's consumer needs.
        for direction in ["out", "in"] {
            bridges.append(try start(programs + "/shm-bridge", ["--config", config, "\(direction)-\(name)"], log: "\(direction)-\(name)"))
            let status = folder + "/\(direction)-\(name).status"
            _ = try Self.waitFor("shm-bridge \(direction)-\(name) attached (\(status); log \(folder)/\(direction)-\(name).log)", seconds: 30) {
                (try? String(contentsOfFile: status, encoding: .utf8))?.contains("\nstate attached\n") == true ? true : nil
            }
        }

        let writer = try ChannelWriter(channel: "a-\(size)", prefix: prefix)
        let received = Received(count: count)
        let done = DispatchSemaphore(value: 0)
        let (channel, prefix) = ("b-\(size)", self.prefix)
        let thread = Thread {
            received.take(channel: channel, prefix: prefix)
            done.signal()
        }
        thread.start()
        let start = SystemClock.monotonicNanoseconds()
        var sent = 0
        while sent < count {
            sent += try writer.writeBatch(maximum: min(64, count - sent), timeout: .seconds(30)) { _, area in
                var stamp = SystemClock.monotonicNanoseconds()
                withUnsafeBytes(of: &stamp) { area.copyMemory(from: $0) }
                return size
            }
        }
        done.wait()
        if let failure = received.failure {
            throw BenchError("the reader of b-\(size) stopped after \(received.latencies.count) of \(count) messages: \(failure)")
        }
        let seconds = Double(received.end - start) / 1e9
        let sorted = received.latencies.sorted()
        return BridgeResult(
            messagesPerSecond: Double(count) / seconds, p50Microseconds: Double(sorted[count / 2]) / 1e3,
            p99Microseconds: Double(sorted[count * 99 / 100]) / 1e3)
    }

    /// The C publisher and subscriber over the same server.
    func measureLibnats(_ role: String, round: Int, size: Int, count: Int, inFlight: Int) throws -> BridgeResult {
        let line = try Self.output(role, [url, "LIBNATS_\(round)_\(size)", "libnats.\(round).\(size)", "\(count)", "\(size)", "\(inFlight)"])
        let words = line.split(whereSeparator: \.isWhitespace)
        func value(_ key: String) -> Double? { words.firstIndex(of: Substring(key)).flatMap { $0 + 1 < words.count ? Double(words[$0 + 1]) : nil } }
        guard let seconds = value("seconds"), let p50 = value("p50_us"), let p99 = value("p99_us") else {
            throw BenchError("\(role) printed '\(line)', not 'messages N seconds S p50_us X p99_us Y'")
        }
        return BridgeResult(messagesPerSecond: Double(count) / seconds, p50Microseconds: p50, p99Microseconds: p99)
    }

    /// Starts `executable` with its stdout and stderr in `folder/log.log`.
    private func start(_ executable: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: folder + "/\(log).log", contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/\(log).log"))
        process.standardOutput = output
        process.standardError = output
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "NOTIFY_SOCKET" && $0.key != "JOURNAL_STREAM" }
        do {
            try process.run()
        } catch {
            throw BenchError("cannot start \(executable): \(error)")
        }
        children.append(process)
        return process
    }

    /// Runs `executable` to its end; its stdout, or an error with its stderr.
    static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("\(executable) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Polls `probe` every 10 ms until it gives a value, at most `seconds`.
    static func waitFor<T>(_ what: String, seconds: Double, _ probe: () -> T?) throws -> T {
        let deadline = SystemClock.monotonicNanoseconds() + UInt64(seconds * 1e9)
        while SystemClock.monotonicNanoseconds() < deadline {
            if let value = probe() { return value }
            usleep(10_000)
        }
        throw BenchError("waited \(seconds) s for \(what)")
    }
}

/// What the reader thread took: each message's latency, and when the last arrived.
private final class Received: @unchecked Sendable {
    let count: Int
    var latencies: [UInt64] = []
    var end: UInt64 = 0
    var failure: String?

    init(count: Int) {
        self.count = count
        latencies.reserveCapacity(count)
    }

    func take(channel: String, prefix: String) {
        do {
            let reader = try ChannelReader(channel: channel, prefix: prefix)
            while latencies.count < count {
                let taken = try reader.receiveBatch(maximum: 256, timeout: .seconds(30)) { message in
                    var stamp: UInt64 = 0
                    withUnsafeMutableBytes(of: &stamp) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: message.prefix(8))) }
                    latencies.append(SystemClock.monotonicNanoseconds() &- stamp)
                }
                if taken == nil {
                    failure = "the channel closed"
                    return
                }
            }
            end = SystemClock.monotonicNanoseconds()
        } catch {
            failure = "\(error)"
        }
    }
}
