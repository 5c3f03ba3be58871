import Foundation
import Glibc
import TestSupport
import Testing

/// Configs of thousands of channels: shmd raises its open-file limit to the hard limit and
/// refuses, before creating anything, a config that cannot fit under it.
@Suite("shmd with thousands of channels and the open-file limit")
struct ScaleLimitTests {
    static func config(prefix: String, channels: Int) throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        let body = (0..<channels).map { "[[channel]]\nname = \"c\($0)\"\nslots = 1\nslot-size = 1\n" }.joined()
        try ("[daemon]\nprefix = \"\(prefix)\"\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--check-config under a hard limit of 200 refuses 300 channels with 78, naming the limit, the need and LimitNOFILE=")
    func checkConfigRefuses() throws {
        let prefix = TestNames.prefix()
        let path = try Self.config(prefix: prefix, channels: 300)
        defer { unlink(path) }
        let result = try run("/usr/bin/prlimit", ["--nofile=200:200", Executables.path("shmd"), "--check-config", "--config", path], seconds: 20)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(path):"), "\(result.stderr)")
        #expect(
            result.stderr.contains(": channel[136]: the 300 channels need 364 open files and shmd may open only 200 (RLIMIT_NOFILE, soft and hard limit 200)"),
            "\(result.stderr)")
        #expect(result.stderr.contains("LimitNOFILE=364 in shmd.service"), "\(result.stderr)")
        #expect(TestNames.leftovers(prefix).isEmpty)
    }

    @Test("--check-config accepts them when only the soft limit is low: shmd raises it")
    func checkConfigRaises() throws {
        let prefix = TestNames.prefix()
        let path = try Self.config(prefix: prefix, channels: 300)
        defer { unlink(path) }
        let result = try run("/usr/bin/prlimit", ["--nofile=200:1000", Executables.path("shmd"), "--check-config", "--config", path], seconds: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }

    @Test("2,000 channels start under a soft limit of 1024 (raised to the hard 4096) in a private /dev/shm, and stop cleanly")
    func twoThousandChannels() throws {
        let prefix = TestNames.prefix()
        let path = try Self.config(prefix: prefix, channels: 2000)
        defer { unlink(path) }
        let notify = try FakeNotifySocket()
        // prlimit, unshare and sh each exec the next: the child's pid is shmd's. Its /dev/shm is
        // a tmpfs of its own mount namespace, gone with it.
        let script = "mount -t tmpfs tmpfs /dev/shm && exec \"$0\" --config \"$1\"\nexit 99"
        let child = try ChildProcess(
            "/usr/bin/prlimit",
            [
                "--nofile=1024:4096", "/usr/bin/unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", script, Executables.path("shmd"), path,
            ],
            environment: ["NOTIFY_SOCKET": notify.path])
        defer { child.terminate() }
        // Ready, or exited (EMFILE without the raised limit): no point waiting out the deadline.
        _ = waitUntil(seconds: 30) { notify.waitFor("READY=1", seconds: 0) || !child.process.isRunning }
        guard notify.waitFor("READY=1", seconds: 0) else {
            Issue.record("no READY=1; exit \(child.waitForExit(seconds: 5).map(String.init) ?? "none"); stderr:\n\(child.stderr.suffix(2000))")
            return
        }
        let limits = try String(contentsOfFile: "/proc/\(child.pid)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(openFiles?[3] == "4096" && openFiles?[4] == "4096", "\(limits)")
        let objects = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/root/dev/shm")
        #expect(objects.count == 6000)
        // shmd sends READY=1 before it logs the line, and its log reaches the pipe on a thread of its own.
        #expect(waitUntil(seconds: 10) { child.stderr.contains("ready: 2000 channels") })
        child.signal(SIGTERM)
        #expect(child.waitForExit(seconds: 30) == 0, "\(child.stderr.suffix(2000))")
        #expect(child.stderr.contains("<5>stopped"))
        #expect(TestNames.leftovers(prefix).isEmpty)
    }
}
