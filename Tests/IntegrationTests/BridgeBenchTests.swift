import Foundation
import Glibc
import TestSupport
import Testing

/// `shm-bench bridge` end to end, small: nats-server, shmd, two shm-bridges and the libnats C
/// role really run, and everything they were is gone afterwards.
@Suite("shm-bench bridge: the bridge against libnats alone")
struct BridgeBenchTests {
    @Test("a short run: a row for the bridge and one for libnats with figures and the ratio; no process, object or folder left")
    func shortRun() throws {
        let folder = NSTemporaryDirectory() + "shm-bench-bridge-test-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let role = folder + "/nats_role"
        let flags = try run("/usr/bin/pkg-config", ["--cflags", "--libs", "libnats"], seconds: 20)
        try #require(flags.status == 0, "pkg-config libnats: \(flags) (apt-get install libnats-dev)")
        let built = try run(
            "/usr/bin/cc",
            [
                "-O2", "-std=c99", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror", "-o", role,
                PackageRoot.path + "/Sources/shm-bench/Roles/nats_role.c",
            ]
                + flags.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty } + ["-lpthread"],
            seconds: 120)
        try #require(built.status == 0, "\(built)")

        let bench = try ChildProcess(
            Executables.path("shm-bench"), ["bridge", "--sizes", "64", "--count", "3000", "--rounds", "1", "--in-flight", "64", "--nats-role", role])
        defer { bench.terminate() }
        #expect(bench.waitForExit(seconds: 120) == 0, "\(bench.stderr)")
        let rows = bench.stdout.split(separator: "\n").filter { $0.hasPrefix("64 ") }
        #expect(rows.count == 2, "\(bench.stdout)")
        let bridge = try #require(rows.first { $0.contains("shm-bridge") }, "\(bench.stdout)")
        let columns = bridge.split(separator: " ", omittingEmptySubsequences: true)
        let ratio = try #require(Double(columns.last ?? ""), "\(bridge)")
        #expect(ratio > 0, "\(bridge)")
        #expect(rows.contains { $0.contains("libnats alone") }, "\(bench.stdout)")

        // Its shmd, nats-server and bridges are gone with their folder and channels.
        #expect(TestNames.leftovers("bridgebench\(bench.pid)").isEmpty)
        let mine = "shm-bench-bridge-\(bench.pid)."
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).allSatisfy { !$0.hasPrefix(mine) })
        let processes = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int32($0) != nil }
        let survivors = processes.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.contains(mine) == true
        }
        #expect(survivors.isEmpty, "still running: \(survivors)")
    }
}
