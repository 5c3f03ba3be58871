import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The iceoryx daemon (`iox-roudi`) the `iceoryx` transport runs under: started by shm-bench
/// with a mempool config of its own, stopped at the end, and what it and the roles leave in
/// /dev/shm and /tmp removed. RouDi's names are fixed (`/dev/shm/iceoryx_mgmt`, a payload segment
/// named after the user's group, `/tmp/roudi`, `/tmp/roudi.lock`, `/tmp/iox-unique-roudi.lock`),
/// so only one can run on a machine; shm-bench never starts one beside another.
final class IceoryxRoudi {
    let process: Process
    private let configPath: String
    private let logPath: String
    /// The roles' runtime names start with it; each runtime has a socket of that name in /tmp.
    private let prefix: String

    /// Why the transport cannot run here, or nil: no `iox-roudi` on PATH, or one already running.
    static func unavailable() -> String? {
        guard executable() != nil else {
            return "no iox-roudi on PATH (Debian package iceoryx; make bench installs it as root)"
        }
        if let pid = runningPid() {
            return "an iox-roudi already runs (pid \(pid)); iceoryx allows one per machine: stop it to measure iceoryx"
        }
        return nil
    }

    /// Starts RouDi with mempools for `sizes`, deep enough for `readers` subscribers each holding a
    /// full queue, and waits until it accepts clients.
    init(prefix: String, sizes: [Int], readers: [Int]) throws {
        guard let path = Self.executable() else { throw BenchError(Self.unavailable() ?? "no iox-roudi") }
        self.prefix = prefix
        configPath = NSTemporaryDirectory() + "\(prefix)-roudi.toml"
        logPath = NSTemporaryDirectory() + "\(prefix)-roudi.log"
        try Self.config(sizes: sizes, readers: readers.max() ?? 1).write(toFile: configPath, atomically: true, encoding: .utf8)
        // No RouDi runs (unavailable() said so): a socket or segment there is a dead one's, and
        // its /tmp/roudi would pass for a ready one below.
        Self.removeLeftovers(prefix: prefix)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        // Monitoring on (the default): RouDi frees what a role that dies leaves held.
        process.arguments = ["--config-file", configPath, "--log-level", "warning"]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        DaemonReaper.armRoudi(pid: process.processIdentifier)
        // RouDi creates its socket once it is ready for clients.
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: "/tmp/roudi") {
            guard process.isRunning, Date() < deadline else {
                let said = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                stop()
                throw BenchError("iox-roudi did not become ready within 20 s (config \(configPath)): \(said)")
            }
            usleep(10_000)
        }
    }

    deinit { stop() }

    /// SIGTERM, up to 10 s for RouDi to release its clients and unlink its objects, then SIGKILL;
    /// then whatever is still there goes.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        DaemonReaper.disarmRoudi()
        Self.removeLeftovers(prefix: prefix)
        unlink(configPath)
        unlink(logPath)
    }

    /// What a RouDi that was killed (or a role killed mid-run) leaves: its shared memory, its
    /// socket and locks, and the roles' sockets. RouDi removes them itself on SIGTERM.
    private static func removeLeftovers(prefix: String) {
        var names = ["/dev/shm/iceoryx_mgmt", "/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"]
        if let group = getgrgid(getegid()) { names.append("/dev/shm/" + String(cString: group.pointee.gr_name)) }
        for name in names { unlink(name) }
        IceoryxLeftovers.removeRoleSockets(prefix: prefix)
    }

    /// A mempool per measured size (payload + iceoryx's chunk header, rounded up), with chunks
    /// for a full queue per service in flight: the throughput service (one queue per reader, the
    /// chunks shared), or the two of the round trip, plus what publishers and subscribers hold.
    static func config(sizes: [Int], readers: Int) -> String {
        var toml = "[general]\nversion = 1\n\n[[segment]]\n"
        var pools: [Int: Int] = [:]
        for size in sizes {
            let chunk = (max(size, 16) + 128 + 63) / 64 * 64
            let queue = BenchDaemon.slots(size: size)
            pools[chunk] = max(pools[chunk] ?? 0, 2 * queue * max(readers, 1) + 64)
        }
        for (chunk, count) in pools.sorted(by: { $0.key < $1.key }) {
            toml += "\n[[segment.mempool]]\nsize = \(chunk)\ncount = \(count)\n"
        }
        return toml
    }

    private static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/iox-roudi" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The pid of a running iox-roudi, from /proc.
    private static func runningPid() -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                comm.trimmingCharacters(in: .whitespacesAndNewlines) == "iox-roudi"
            else { continue }
            // A zombie has exited: it holds nothing.
            if let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z"
            {
                continue
            }
            return pid
        }
        return nil
    }
}
