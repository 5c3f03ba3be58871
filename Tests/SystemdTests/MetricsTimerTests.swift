import Foundation
import TestSupport
import Testing

/// shmd-metrics.timer and its service under the sandbox's real systemd: part of ServiceTests,
/// so that it runs one sandbox at a time like the rest.
extension ServiceTests {
    static let textfileFolder = "/var/lib/prometheus/node-exporter"
    static let textfile = textfileFolder + "/shmd.prom"

    /// The metrics file inside `sandbox`, parsed, once `predicate` holds for it (at most `seconds`).
    func waitForMetrics(_ sandbox: Sandbox, seconds: Double, _ predicate: (PrometheusText) -> Bool) -> PrometheusText? {
        var found: PrometheusText?
        _ = waitUntil(seconds: seconds, interval: 200_000) {
            guard let cat = try? sandbox.exec(["cat", Self.textfile]), cat.status == 0, let text = try? PrometheusText(cat.stdout) else {
                return false
            }
            found = text
            return predicate(text)
        }
        return found.flatMap { predicate($0) ? $0 : nil }
    }

    @Test(
        "shmd-metrics.timer: its service writes the channels' series into node exporter's folder at once and again 15 s later; list-timers shows it; verify is silent, exposure as the README says; uninstall removes both"
    )
    func metricsTimer() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        let wrote = try sandbox.exec(["/usr/local/bin/shm-writer", "demo", "--message", "one", "--message", "two", "--message", "three"])
        #expect(wrote.status == 0, "\(wrote)")
        #expect(try sandbox.exec(["/usr/local/bin/shm-reader", "demo", "--count", "1", "--timeout", "5"]).stdout == "one\n")
        // Debian's prometheus-node-exporter package creates the folder; the sandbox's root is the
        // host's, which may not have it.
        #expect(try sandbox.exec(["mkdir", "-p", Self.textfileFolder]).status == 0)

        let start = try sandbox.systemctl("start", "shmd-metrics.timer")
        #expect(start.status == 0, "\(start)")
        let demo = ["prefix": "shmd", "channel": "demo"]
        let journal = { (try? sandbox.exec(["journalctl", "-u", "shmd-metrics.service", "--no-pager", "-o", "cat"]))?.stdout ?? "" }
        let first = try #require(
            waitForMetrics(sandbox, seconds: 15) { $0.value("shmd_messages_written_total", demo) == 3 },
            "no \(Self.textfile) with demo's series; journal: \(journal())")
        #expect(first.value("shmd_messages_read_total", demo) == 1)
        #expect(first.value("shmd_messages_queued", demo) == 2)
        #expect(first.value("shmd_channel_fill_ratio", demo) == 0.5)
        #expect(first.value("shmd_daemon_up", demo) == 1)
        #expect(first.value("shmd_channel_slots", ["channel": "other"]) == 2)
        #expect(first.value("shmd_channels_unreadable") == 0)

        // Only the file: the temporary one was renamed over it.
        #expect(try sandbox.exec(["ls", "-A", Self.textfileFolder]).stdout == "shmd.prom\n")
        #expect(try sandbox.exec(["stat", "-c", "%a %U", Self.textfile]).stdout == "644 root\n")
        #expect(try sandbox.show("Result", unit: "shmd-metrics.service") == "success")
        #expect(try sandbox.show("ExecMainStatus", unit: "shmd-metrics.service") == "0")
        #expect(try sandbox.show("AccuracyUSec", unit: "shmd-metrics.timer") == "1s")
        let timers = try sandbox.systemctl("list-timers", "--all", "--no-pager", "shmd-metrics.timer")
        #expect(timers.stdout.contains("shmd-metrics.timer") && timers.stdout.contains("shmd-metrics.service"), "\(timers)")
        #expect(timers.stdout.contains("1 timers listed."), "\(timers)")

        #expect(try sandbox.exec(["/usr/local/bin/shm-writer", "demo", "--message", "four", "--message", "five"]).status == 0)
        // The next run starts 15 s after the first (within AccuracySec=1s).
        let next = waitForMetrics(sandbox, seconds: 30) { $0.value("shmd_messages_written_total", demo) == 5 }
        #expect(next?.value("shmd_messages_queued", demo) == 4, "the timer did not run the service again within 30 s")
        #expect(!journal().contains("shmctl:"), "\(journal())")

        let enable = try sandbox.systemctl("enable", "shmd-metrics.timer")
        #expect(enable.status == 0, "\(enable)")
        #expect(try sandbox.systemctl("is-enabled", "shmd-metrics.timer").stdout == "enabled\n")
        for unit in ["shmd-metrics.service", "shmd-metrics.timer"] {
            let verify = try sandbox.exec(["systemd-analyze", "verify", "/usr/local/lib/systemd/system/" + unit])
            #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "verify \(unit): \(verify)")
        }
        let security = try sandbox.exec(["systemd-analyze", "security", "--offline=true", "--no-pager", Sandbox.stage + "/systemd/shmd-metrics.service"])
        let line = try #require(
            security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level for shmd-metrics.service:") }, "\(security)")
        let figure = String(line[try #require(line.range(of: "service: ")).upperBound...].prefix { $0.isNumber || $0 == "." })
        #expect(try #require(Double(figure)) <= 2.5, "\(line)")
        let readme = try String(contentsOfFile: PackageRoot.path + "/README.md", encoding: .utf8)
        #expect(readme.contains("Overall exposure level for shmd-metrics.service: \(figure)"), "the README must quote: \(line)")

        let uninstall = try sandbox.exec(["make", "-s", "-C", Sandbox.stage, "uninstall"])
        #expect(uninstall.status == 0, "\(uninstall)")
        #expect(try sandbox.show("ActiveState", unit: "shmd-metrics.timer") == "inactive")
        let left = try sandbox.exec(["sh", "-c", "ls /usr/local/lib/systemd/system/shmd-metrics.* 2>/dev/null"])
        #expect(left.stdout.isEmpty, "\(left.stdout)")
    }
}
