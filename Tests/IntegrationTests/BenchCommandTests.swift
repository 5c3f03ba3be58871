import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// shm-bench's own errors and clean-up: it starts a shmd of its own, which must never outlive it.
@Suite("shm-bench: bad options and interruption")
struct BenchCommandTests {
    @Test("each bad option is refused before shmd starts, naming the option (exit 64)",
          arguments: [
            (["--rounds", "0"], "--rounds must be 1 or more"),
            (["--sizes", "64,abc"], "--sizes: 'abc' is not a message size"),
            (["--sizes", "8"], "--sizes: '8' is not a message size"),
            (["--transports", "fast,carrier-pigeon"], "--transports: unknown transport 'carrier-pigeon'"),
            (["--seconds", "0"], "--seconds must be more than 0"),
            (["--spin-us", "20000"], "--spin-us must be between 0 and 10000"),
            (["--idle-seconds=-1"], "--idle-seconds must be 0 (skip) or more"),
            (["--spsc", "/nonexistent/spsc"], "--spsc /nonexistent/spsc: no executable there"),
          ])
    func badOption(arguments: [String], message: String) throws {
        let child = try ChildProcess(Executables.path("shm-bench"), ["run"] + arguments)
        #expect(child.waitForExit(seconds: 30) == 64)
        #expect(child.stderr.contains(message), "\(child.stderr)")
        #expect(TestNames.leftovers("bench\(child.pid)").isEmpty)
    }

    @Test("interrupted mid-run (SIGINT): its shmd stops and removes every channel, its config file goes")
    func interrupted() throws {
        let child = try ChildProcess(Executables.path("shm-bench"),
                                     ["run", "--sizes", "64", "--transports", "fast,classic", "--rounds", "1000", "--no-round-trip", "--idle-seconds", "0"])
        defer { child.terminate() }
        let prefix = "bench\(child.pid)"
        #expect(waitUntil(seconds: 30) { (try? ChannelSnapshot(channel: "classic-64-back", prefix: prefix)) != nil },
                "the benchmark's channels never appeared: \(child.stderr)")
        #expect(waitUntil(seconds: 30) { child.stderr.contains("[round 1/1000]") }, "no measurement started: \(child.stderr)")
        child.signal(SIGINT)
        #expect(child.waitForExit(seconds: 10) == 128 + SIGINT)
        #expect(waitUntil(seconds: 5) { TestNames.leftovers(prefix).isEmpty }, "left behind: \(TestNames.leftovers(prefix))")
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "\(prefix).toml"))
    }
}
