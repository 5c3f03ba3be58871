import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// shm-bench's own errors and clean-up: it starts a shmd of its own, which must never outlive it.
@Suite("shm-bench: bad options and interruption")
struct BenchCommandTests {
    @Test(
        "each bad option is refused before shmd starts, naming the option (exit 64)",
        arguments: [
            (["--rounds", "0"], "--rounds must be 1 or more"),
            (["--sizes", "64,abc"], "--sizes: 'abc' is not a message size"),
            (["--sizes", "8"], "--sizes: '8' is not a message size"),
            (["--transports", "fast,carrier-pigeon"], "--transports: unknown transport 'carrier-pigeon'"),
            (["--seconds", "0"], "--seconds must be more than 0"),
            (["--spin-us", "20000"], "--spin-us must be between 0 and 10000"),
            (["--idle-seconds=-1"], "--idle-seconds must be 0 (skip) or more"),
            (["--spsc", "/nonexistent/spsc"], "--spsc /nonexistent/spsc: no executable there"),
            (["--compare", "/nonexistent/shm-bench"], "--compare /nonexistent/shm-bench: no executable there"),
            (["--compare", "/tmp"], "--compare /tmp: no executable there"),
            (["--compare", "/bin/true"], "--compare /bin/true: not a shm-bench whose roles this one can run ('role --help' does not list --prefix)"),
            (["--transports", "fast,c"], "--transports: c needs --c-role PATH"),
            (["--transports", "mp-queue"], "--transports: mp-queue needs --python-roles PATH"),
            (["--c-role", "/nonexistent/shmkit_role"], "--c-role /nonexistent/shmkit_role: no executable there"),
            (["--python-roles", "/nonexistent/roles.py"], "--python-roles /nonexistent/roles.py: no such file"),
            (["--iceoryx-role", "/nonexistent/iceoryx_role"], "--iceoryx-role /nonexistent/iceoryx_role: no executable there"),
            (["--fanout-readers", "1,0"], "--fanout-readers: '0' is not a reader count"),
            (["--pace", "20000000"], "--pace must be at most 10000000 messages a second"),
            (["--deadline", "0"], "--deadline must be more than 0 seconds"),
            (["--pace", "1000", "--pace-seconds", "0"], "--pace-seconds must be more than 0"),
            (["--peer-roles", "/nonexistent/roles"], "--peer-roles /nonexistent/roles: no such folder"),
            (["--transports", "fast,boost-mq"], "--transports: boost-mq needs --peer-roles FOLDER"),
        ])
    func badOption(arguments: [String], message: String) throws {
        let child = try ChildProcess(Executables.path("shm-bench"), ["run"] + arguments)
        #expect(child.waitForExit(seconds: 30) == 64)
        #expect(child.stderr.contains(message), "\(child.stderr)")
        #expect(TestNames.leftovers("bench\(child.pid)").isEmpty)
    }

    @Test("--compare with its own binary: each fast case also runs as B, with A's count, and B/A is reported")
    func compare() throws {
        let json = NSTemporaryDirectory() + "shm-bench-compare-\(getpid()).json"
        defer { unlink(json) }
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--compare", Executables.path("shm-bench"), "--sizes", "64", "--transports", "fast,pipe",
                "--rounds", "2", "--seconds", "0.05", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 120) == 0, "\(child.stderr)")
        #expect(child.stdout.contains("shmd fast (B)"), "\(child.stdout)")
        #expect(child.stdout.contains("B/A"), "\(child.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let shape = rows.map { "\($0["transport"]!) \($0["binary"]!) \($0["mode"]!)" }
        #expect(
            shape == [
                "fast A throughput", "fast B throughput", "pipe A throughput",
                "fast A round-trip", "fast B round-trip", "pipe A round-trip",
            ])
        for mode in ["throughput", "round-trip"] {
            let fast = rows.filter { $0["transport"] as? String == "fast" && $0["mode"] as? String == mode }
            let counts = fast.map { ($0["samples"] as? [[String: Any]] ?? []).compactMap { $0["count"] as? Int } }
            #expect(counts.count == 2 && counts[0].count == 2 && counts[0] == counts[1], "\(mode): \(counts)")
            #expect(fast.last?["ratioToA"] as? Double != nil, "\(mode): \(fast)")
        }
        #expect(child.stdout.contains("every message arrived, in order, intact"), "\(child.stdout)")
        #expect(TestNames.leftovers("bench\(child.pid)").isEmpty)
    }

    @Test(
        "in place and paced: the in-place rows at each size, CPU per message in every row, and a paced run that keeps its rate with a writer that sleeps"
    )
    func inPlaceAndPaced() throws {
        let json = NSTemporaryDirectory() + "shm-bench-paced-\(getpid()).json"
        defer { unlink(json) }
        let pace = 20_000.0
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--sizes", "64,65536", "--transports", "fast,in-place,pipe", "--rounds", "1", "--seconds", "0.05",
                "--no-round-trip", "--pace", "\(Int(pace))", "--pace-seconds", "0.3", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 120) == 0, "\(child.stderr)")
        #expect(child.stdout.contains("IN PLACE"), "\(child.stdout)")
        #expect(child.stdout.contains("PACED"), "\(child.stdout)")
        #expect(child.stdout.contains("every message arrived, in order, intact"), "\(child.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let shape = rows.map { "\($0["transport"]!) \($0["size"]!) \($0["mode"]!)" }
        #expect(
            shape == [
                "fast 64 throughput", "in-place 64 throughput", "pipe 64 throughput", "fast 64 paced", "in-place 64 paced", "pipe 64 paced",
                "fast 65536 throughput", "in-place 65536 throughput", "pipe 65536 throughput",
            ])
        PacedRows.check(rows, pace: pace)
        #expect(TestNames.leftovers("bench\(child.pid)").isEmpty)
    }

    @Test(
        "the other languages' transports: a C program over libshmkit, the Python package, iceoryx2's Python binding and multiprocessing.Queue, every message in order"
    )
    func languageTransports() throws {
        let cRole = try LibShmKit.build(PackageRoot.path + "/Sources/shm-bench/Roles/shmkit_role.c", name: "shmkit_role")
        let json = NSTemporaryDirectory() + "shm-bench-languages-\(getpid()).json"
        defer { unlink(json) }
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--c-role", cRole, "--python-roles", PackageRoot.path + "/python/bench/roles.py", "--sizes", "64",
                "--transports", "fast", "--rounds", "1", "--seconds", "0.05", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 300) == 0, "\(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        // iceoryx2's module is pip-installed by make bench; without it, the row is skipped with a line saying so.
        let iceoryx2 = !child.stderr.contains("skipping iceoryx2-python: ")
        let transports = ["fast", "c", "python"] + (iceoryx2 ? ["iceoryx2-python"] : []) + ["mp-queue"]
        let expected = [64].flatMap { size in
            ["throughput", "round-trip"].flatMap { mode in transports.map { "\($0) \(size) \(mode)" } }
        }
        #expect(rows.map { "\($0["transport"]!) \($0["size"]!) \($0["mode"]!)" } == expected)
        for row in rows {
            let samples = row["samples"] as? [[String: Any]] ?? []
            #expect(samples.count == 1, "\(row)")
            // iceoryx2's binding may drop messages despite its lossless settings (roles.py says
            // when); the benchmark counts them. Every other transport must lose none.
            if row["transport"] as? String != "iceoryx2-python" {
                #expect(samples.allSatisfy { $0["errors"] as? Int == 0 }, "\(row)")
            }
        }
        #expect(TestNames.leftovers("bench\(child.pid)").isEmpty, "left behind: \(TestNames.leftovers("bench\(child.pid)"))")
        let iceoryxFiles = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.hasPrefix("bench\(child.pid)iox2_") }
        #expect(iceoryxFiles.isEmpty, "iceoryx2 left behind: \(iceoryxFiles)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/bench\(child.pid)-iceoryx2"))
    }

    @Test("interrupted mid-run (SIGINT): its shmd stops and removes every channel, its config file goes")
    func interrupted() throws {
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            ["run", "--sizes", "64", "--transports", "fast,classic", "--rounds", "1000", "--no-round-trip", "--idle-seconds", "0"])
        defer { child.terminate() }
        let prefix = "bench\(child.pid)"
        #expect(
            waitUntil(seconds: 30) { (try? ChannelSnapshot(channel: "classic-64-back", prefix: prefix)) != nil },
            "the benchmark's channels never appeared: \(child.stderr)")
        #expect(waitUntil(seconds: 30) { child.stderr.contains("[round 1/1000]") }, "no measurement started: \(child.stderr)")
        child.signal(SIGINT)
        #expect(child.waitForExit(seconds: 10) == 128 + SIGINT)
        #expect(waitUntil(seconds: 5) { TestNames.leftovers(prefix).isEmpty }, "left behind: \(TestNames.leftovers(prefix))")
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "\(prefix).toml"))
    }
}

/// What every row of a run with `--pace` must show, whoever's roles ran it.
enum PacedRows {
    static func check(_ rows: [[String: Any]], pace: Double) {
        for row in rows {
            let cpu = row["cpu"] as? Double ?? 0
            #expect(cpu > 0, "\(row["label"]!) \(row["size"]!): no CPU per message")
            guard row["mode"] as? String == "paced" else { continue }
            // Each message is due at start + n / rate, so no run can be faster than the rate; a
            // slower one means the pacer fell behind and never caught up.
            let rate = row["median"] as? Double ?? 0
            #expect(rate > pace * 0.5 && rate <= pace * 1.01, "\(row["label"]!): \(rate) msgs/s, asked \(pace)")
            // A writer that spun between messages would burn the whole interval on each, a core;
            // one that sleeps uses what its sends cost (ZeroMQ's I/O thread included).
            let writer = row["writerCPU"] as? Double ?? .infinity
            #expect(writer < 0.9e9 / pace, "\(row["label"]!): the writer used \(writer) ns per message, \(1e9 / pace) ns apart")
        }
    }
}
