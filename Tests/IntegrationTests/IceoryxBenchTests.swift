import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// Whether iceoryx can be measured here, and why not: its packages (iox-roudi, the C binding's
/// headers) and no RouDi of someone else's running, for there can be only one.
enum IceoryxAvailability {
    static let include = "/usr/include/iceoryx/v2.0.3"

    static var missing: String? {
        // Behind a variable: once in a full test run a round trip hung (its pong waiting for
        // good, after a RouDi of an interrupted run had been SIGKILLed), which is not understood yet.
        if ProcessInfo.processInfo.environment["SHMD_ICEORYX_TESTS"] != "1" {
            return "set SHMD_ICEORYX_TESTS=1 to run it (a round-trip hang once seen is not understood yet)"
        }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/iox-roudi") {
            return "no /usr/bin/iox-roudi: install the Debian package iceoryx (make bench does, as root)"
        }
        if !FileManager.default.fileExists(atPath: include + "/iceoryx_binding_c/publisher.h") {
            return "no iceoryx C binding in \(include): install libiceoryx-binding-c-dev and libiceoryx-posh-dev (make bench does, as root)"
        }
        if FileManager.default.fileExists(atPath: "/tmp/roudi") {
            return "an iox-roudi seems to run (/tmp/roudi exists); shm-bench needs the machine's only one"
        }
        return nil
    }

    /// The role program, compiled from the source tree into a folder of this test run's own.
    static func buildRole() throws -> String {
        let directory = NSTemporaryDirectory() + "iceoryx-role-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let program = directory + "/iceoryx_role"
        let result = try run(
            "/usr/bin/cc",
            [
                "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-o", program, PackageRoot.path + "/Sources/shm-bench/Roles/iceoryx_role.c",
                "-I", include, "-liceoryx_binding_c",
            ], seconds: 120)
        guard result.status == 0 else { throw TestFailure("cc iceoryx_role.c failed: \(result.stderr)") }
        return program
    }
}

/// The fan-out rows and iceoryx in the same run (issue 13's benchmark).
@Suite(
    "shm-bench: fan-out 1 → 1 and 1 → 3 against iceoryx", .enabled(if: IceoryxAvailability.missing == nil, Comment(rawValue: IceoryxAvailability.missing ?? ""))
)
struct IceoryxBenchTests {
    @Test("fanout and iceoryx rows at 1 and 3 readers, iceoryx copied out at 1, every message checked, the targets computed, nothing left behind")
    func fanoutAgainstIceoryx() throws {
        let role = try IceoryxAvailability.buildRole()
        defer { try? FileManager.default.removeItem(atPath: (role as NSString).deletingLastPathComponent) }
        let json = NSTemporaryDirectory() + "shm-bench-iceoryx-\(getpid()).json"
        defer { unlink(json) }
        let child = try ChildProcess(
            Executables.path("shm-bench"),
            [
                "run", "--iceoryx-role", role, "--transports", "fanout,iceoryx", "--fanout-readers", "1,3", "--sizes", "64",
                "--rounds", "1", "--seconds", "0.05", "--idle-seconds", "0", "--json", json,
            ])
        defer { child.terminate() }
        #expect(child.waitForExit(seconds: 300) == 0, "\(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(
            rows.map { "\($0["transport"]!) \($0["readers"]!) \($0["mode"]!)" } == [
                "fanout 1 throughput", "fanout 3 throughput", "iceoryx 1 throughput", "iceoryx 3 throughput", "iceoryx-copy 1 throughput",
                "fanout 1 round-trip", "iceoryx 1 round-trip", "iceoryx-copy 1 round-trip",
            ])
        for row in rows {
            let samples = row["samples"] as? [[String: Any]] ?? []
            #expect(samples.count == 1 && samples.allSatisfy { $0["errors"] as? Int == 0 }, "\(row)")
            #expect((row["median"] as? Double ?? 0) > 0, "\(row)")
        }
        let comparisons = (report["comparisons"] as? [[String: Any]] ?? []).map { "\($0["against"]!) \($0["readers"]!) \($0["mode"]!)" }
        #expect(comparisons == ["iceoryx 1 throughput", "iceoryx 3 throughput", "iceoryx 1 round-trip"], "\(report["comparisons"] ?? "")")
        #expect(child.stdout.contains("shmd fanout 1 → 3"), "\(child.stdout)")
        #expect(child.stdout.contains("oversubscribed"), "\(child.stdout)")
        #expect(child.stdout.contains("iceoryx 2.0.3 C, copied out"), "\(child.stdout)")
        #expect(child.stdout.contains("every message arrived, in order, intact"), "\(child.stdout)")

        // RouDi stopped, and neither it nor the roles left anything.
        let prefix = "bench\(child.pid)"
        #expect(TestNames.leftovers(prefix).isEmpty, "left behind: \(TestNames.leftovers(prefix))")
        // RouDi's payload segment is named after the user's group.
        let group = getgrgid(getegid()).map { "/dev/shm/" + String(cString: $0.pointee.gr_name) }
        for path in ["/dev/shm/iceoryx_mgmt", "/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"] + (group.map { [$0] } ?? []) {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) left behind")
        }
        let ownSockets = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix(prefix + "-") }
        #expect(ownSockets.isEmpty, "left in /tmp: \(ownSockets)")
        let roudis = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            Int(entry) != nil
                && (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "iox-roudi"
        }
        #expect(roudis.isEmpty, "iox-roudi still running: \(roudis)")
    }
}
