import Foundation
import Glibc
import TestSupport
import Testing

/// The peers' role programs (Sources/shm-bench/Roles), compiled as `make peer-roles` does into a
/// folder of this test run's own. Their packages are in the Makefile's APT_NEEDS, which
/// `make test` installs first; the tests install nothing.
enum PeerRolePrograms {
    static let roles = PackageRoot.path + "/Sources/shm-bench/Roles"

    static func build() throws -> String {
        let directory = NSTemporaryDirectory() + "peer-roles-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let programs: [(String, [String], String)] = [
            ("/usr/bin/cc", ["-std=c99", roles + "/mq_role.c", "-lrt"], "mq_role"),
            ("/usr/bin/cc", ["-std=c99", roles + "/zmq_role.c", "-lzmq"], "zmq_role"),
            ("/usr/bin/g++", [roles + "/boost_role.cpp", "-lrt", "-pthread"], "boost_role"),
        ]
        for (compiler, arguments, name) in programs {
            let result = try run(compiler, ["-O2", "-Wall", "-Wextra", "-Werror", "-o", directory + "/" + name] + arguments, seconds: 180)
            guard result.status == 0 else {
                throw TestFailure(
                    "\(compiler) \(name) failed: \(result.stderr) (its headers come with libboost-dev and libzmq3-dev: make deps installs them, as root)")
            }
        }
        return directory
    }

    /// What a run of prefix `prefix` left: its /dev/shm objects, its /tmp files (ZeroMQ's
    /// socket folder, iceoryx's sockets), and its POSIX queues, which are found by name because
    /// /dev/mqueue is not mounted everywhere (mq_unlink removes one it finds: a leftover).
    static func leftovers(_ prefix: String, sizes: [Int]) -> [String] {
        let tmp = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix(prefix + "-") }.map { "/tmp/" + $0 }
        let queues = sizes.flatMap { ["posix-mq-\($0)", "posix-mq-\($0)-back"] }.map { "/\(prefix).\($0)" }.filter { name in
            name.withCString { unlinkQueue?($0) } == 0
        }
        return TestNames.leftovers(prefix).map { "/dev/shm/" + $0 } + tmp + queues.map { "mq " + $0 }
    }

    /// glibc's mq_unlink, which Swift's Glibc module does not import.
    static let unlinkQueue: (@convention(c) (UnsafePointer<CChar>) -> Int32)? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mq_unlink")
        .map { unsafeBitCast($0, to: (@convention(c) (UnsafePointer<CChar>) -> Int32).self) }

    static func sysctl(_ name: String) -> String? {
        try? String(contentsOfFile: "/proc/sys/fs/mqueue/" + name, encoding: .utf8)
    }
}

// Serialized: two runs with posix-mq at once would each raise the kernel's queue limits and
// restore them under the other.
@Suite("shm-bench: the peers (Boost.Interprocess, ZeroMQ, POSIX mq) and the deadline of a measurement", .serialized)
struct PeerBenchTests {
    @Test("boost-mq, zmq-pushpull, zmq-pair and posix-mq beside shmd fast: every row, every message checked, the ratios computed, nothing left behind")
    func peers() throws {
        let roles = try PeerRolePrograms.build()
        defer { try? FileManager.default.removeItem(atPath: roles) }
        let json = NSTemporaryDirectory() + "shm-bench-peers-\(getpid()).json"
        defer { unlink(json) }
        let limits = (PeerRolePrograms.sysctl("msg_max"), PeerRolePrograms.sysctl("msgsize_max"))
        let sizes = [64, 65536]
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--peer-roles", roles, "--transports", "fast,boost-mq,zmq-pushpull,zmq-pair,posix-mq", "--sizes",
                sizes.map(String.init).joined(separator: ","), "--rounds", "1", "--seconds", "0.05", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 600) == 0, "\(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let transports = ["fast", "boost-mq", "zmq-pushpull", "zmq-pair", "posix-mq"]
        // posix-mq's 64 KiB messages need msgsize_max raised, which only root may do.
        let posix64k = getuid() == 0 || Int(limits.1?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0 >= 65536
        let expected = sizes.flatMap { size in
            ["throughput", "round-trip"].flatMap { mode in
                transports.filter { $0 != "posix-mq" || size < 8192 || posix64k }.map { "\($0) \(size) \(mode)" }
            }
        }
        #expect(rows.map { "\($0["transport"]!) \($0["size"]!) \($0["mode"]!)" } == expected, "\(child.stderr)")
        for row in rows {
            let samples = row["samples"] as? [[String: Any]] ?? []
            #expect(samples.count == 1 && samples.allSatisfy { $0["errors"] as? Int == 0 && $0["failure"] == nil }, "\(row)")
            #expect((row["median"] as? Double ?? 0) > 0, "\(row)")
        }
        let comparisons = (report["comparisons"] as? [[String: Any]] ?? []).map {
            "\($0["transport"]!)/\($0["against"]!) \($0["size"]!) \($0["mode"]!) \(($0["ratio"] as? Double ?? 0) > 0)"
        }
        let peerTargets = sizes.flatMap { size in ["boost-mq", "zmq-pushpull", "zmq-pair"].map { "fast/\($0) \(size) throughput true" } }
        #expect(comparisons == peerTargets, "\(report["comparisons"] ?? "")")
        #expect(child.stdout.contains("fast / boost-mq"), "\(child.stdout)")
        #expect(child.stdout.contains("every message arrived, in order, intact"), "\(child.stdout)")
        // RLIMIT_MSGQUEUE decides how deep a 64 KiB queue can be; the table says so when it is
        // shallower than shmd's 64 slots.
        var limit = rlimit()
        _ = getrlimit(__rlimit_resource_t(__RLIMIT_MSGQUEUE.rawValue), &limit)
        if posix64k, limit.rlim_cur != rlim_t.max, Int(limit.rlim_cur) / (65536 + 128) < 64 {
            #expect(child.stdout.contains("posix-mq at 64 KiB: queues of \(Int(limit.rlim_cur) / (65536 + 128)) (throughput)"), "\(child.stdout)")
        }

        let prefix = "bench\(child.pid)"
        let left = PeerRolePrograms.leftovers(prefix, sizes: sizes)
        #expect(left.isEmpty, "left behind: \(left)")
        // The queue limits shm-bench raised for the run are back as they were.
        #expect(PeerRolePrograms.sysctl("msg_max") == limits.0 && PeerRolePrograms.sysctl("msgsize_max") == limits.1)
    }

    @Test("paced, the C role programs keep the rate with a writer that sleeps, and every row has its CPU per message")
    func paced() throws {
        let roles = try PeerRolePrograms.build()
        defer { try? FileManager.default.removeItem(atPath: roles) }
        let json = NSTemporaryDirectory() + "shm-bench-peers-paced-\(getpid()).json"
        defer { unlink(json) }
        let pace = 20_000.0
        let transports = ["fast", "boost-mq", "zmq-pushpull", "zmq-pair", "posix-mq"]
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--peer-roles", roles, "--transports", transports.joined(separator: ","), "--sizes", "64", "--no-round-trip",
                "--rounds", "1", "--seconds", "0.05", "--pace", "\(Int(pace))", "--pace-seconds", "0.2", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 600) == 0, "\(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.map { "\($0["transport"]!) \($0["mode"]!)" } == transports.map { "\($0) throughput" } + transports.map { "\($0) paced" })
        PacedRows.check(rows, pace: pace)
        #expect(child.stdout.contains("PACED"), "\(child.stdout)")
        #expect(PeerRolePrograms.leftovers("bench\(child.pid)", sizes: [64]).isEmpty)
    }

    @Test("a role that stops (SIGSTOP) ends its measurement at the deadline: its roles killed, the case named as FAILED, no hang")
    func deadline() throws {
        let json = NSTemporaryDirectory() + "shm-bench-deadline-\(getpid()).json"
        defer { unlink(json) }
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--transports", "pipe", "--sizes", "64", "--no-round-trip", "--rounds", "1", "--seconds", "0.2",
                "--idle-seconds", "0", "--deadline", "5", "--json", json,
            ])
        defer { child.terminate() }
        // The first role of the run that is stopped for good (one that was exiting is not).
        var stopped: pid_t = 0
        defer { if stopped > 0, Self.state(stopped) == "T" { kill(stopped, SIGKILL) } }
        #expect(
            waitUntil(seconds: 60) {
                guard let role = Self.roles(of: child.pid).first else { return false }
                kill(role, SIGSTOP)
                // The role may have exited between the listing and the signal, and its pid gone to
                // another program (another test's): whatever this stopped that is not shm-bench's
                // role, or did not stop for good, is let go again at once.
                let stoppedOurs =
                    waitUntil(seconds: 2, { Self.state(role) != "R" && Self.state(role) != "S" }) && Self.state(role) == "T"
                    && Self.roles(of: child.pid).contains(role)
                guard stoppedOurs else {
                    kill(role, SIGCONT)
                    return false
                }
                stopped = role
                return true
            }, "no role of shm-bench could be stopped: \(child.stderr)")
        let status = child.waitForExit(seconds: 180)
        #expect(status != nil && status != 0, "shm-bench did not end with an error: \(child.stdout) \(child.stderr)")
        #expect(child.stdout.contains("FAILED pipe(2) 64 B throughput: "), "\(child.stdout)")
        #expect(child.stderr.contains("measurement(s) failed: pipe(2) 64 B throughput"), "\(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let failures = rows.flatMap { ($0["samples"] as? [[String: Any]] ?? []).compactMap { $0["failure"] as? String } }
        #expect(failures.count == 1, "\(rows)")
        // Killed, not left stopped: its pid is gone (or was reaped and reused by another program).
        #expect(stopped > 0 && Self.state(stopped) != "T", "role \(stopped) is still stopped")
        let left = PeerRolePrograms.leftovers("bench\(child.pid)", sizes: [64])
        #expect(left.isEmpty, "left behind: \(left)")
    }

    /// The role processes shm-bench `parent` has running (`PROGRAM role ...`).
    static func roles(of parent: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                pid_t(stat[stat.index(close, offsetBy: 2)...].split(separator: " ").dropFirst().first ?? "") == parent,
                let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")),
                command.split(separator: 0).dropFirst().first.map({ String(decoding: $0, as: UTF8.self) }) == "role"
            else { return nil }
            return pid
        }
    }

    /// The state letter of /proc/PID/stat (R, S, T, Z, ...), or nil when there is no such process.
    static func state(_ pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return String(stat[stat.index(close, offsetBy: 2)])
    }
}
