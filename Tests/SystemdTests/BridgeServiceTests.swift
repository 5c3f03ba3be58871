import Foundation
import TestSupport
import Testing

/// shm-bridge@.service under the sandbox's real systemd, with shmd and a JetStream nats-server
/// inside: part of ServiceTests, so that it runs one sandbox at a time like the rest.
extension ServiceTests {
    static let bridgeChannels = """
        [daemon]
        sweep-interval = 0.1

        [[channel]]
        name = "outbound"
        slots = 16
        slot-size = 256

        [[channel]]
        name = "inbound"
        slots = 16
        slot-size = 256
        """
    static let natsPassword = "s3cret-\(UInt32.random(in: 0...UInt32.max))"

    /// Starts nats-server with JetStream inside `sandbox` as the transient unit nats-test, on a
    /// port the kernel picks (its ports file says which), requiring user `bridge`.
    ///
    /// - Returns: its client URL.
    func startNats(_ sandbox: Sandbox) throws -> String {
        let started = try sandbox.exec([
            "systemd-run", "--unit", "nats-test", "-p", "RuntimeDirectory=nats-test", "/usr/sbin/nats-server", "-js", "-sd", "/var/lib/nats-test",
            "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", "/run/nats-test", "--user", "bridge", "--pass", Self.natsPassword,
        ])
        guard started.status == 0 else { throw TestFailure("systemd-run nats-server failed: \(started)") }
        var url: String?
        _ = waitUntil(seconds: 15, interval: 50_000) {
            guard let ports = try? sandbox.exec(["sh", "-c", "cat /run/nats-test/*.ports 2>/dev/null"]), ports.status == 0,
                let object = try? JSONSerialization.jsonObject(with: Data(ports.stdout.utf8)) as? [String: [String]]
            else { return false }
            url = object["nats"]?.first
            return url != nil
        }
        guard let url else {
            let log = try? sandbox.exec(["journalctl", "-u", "nats-test", "--no-pager", "-o", "cat"])
            throw TestFailure("nats-server wrote no ports file in /run/nats-test within 15 s: \(log?.stdout ?? "")")
        }
        return url
    }

    /// Two bridges over one subject: `demo` from channel outbound, `demo-in` into channel inbound.
    static func bridgeConfig(server: String) -> String {
        """
        [[bridge]]
        name = "demo"
        direction = "out"
        channel = "outbound"
        subject = "shmd.demo"
        stream = "SHMD_DEMO"
        servers = ["\(server)"]
        credentials = "/etc/shmd/nats.toml"

        [[bridge]]
        name = "demo-in"
        direction = "in"
        channel = "inbound"
        subject = "shmd.demo"
        stream = "SHMD_DEMO"
        servers = ["\(server)"]
        credentials = "/etc/shmd/nats.toml"
        """
    }

    @Test(
        "systemctl start shm-bridge@demo and @demo-in: ready once attached, a message crosses channel → JetStream → channel, journalctl -u shm-bridge@demo has the lifecycle with SHMD_BRIDGE and SHMD_EVENT, shmctl bridges the counters; wrong credentials: exit 77, not restarted; kill -9: restarted, the next message crosses once"
    )
    func bridgeUnit() throws {
        let sandbox = try sandbox(config: Self.bridgeChannels)
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        let server = try startNats(sandbox)
        try sandbox.write("/etc/shmd/bridge.toml", Self.bridgeConfig(server: server))
        // Readable by the bridges' group only. (LoadCredential= would hand over a root-only file,
        // but this sandbox's systemd cannot give a non-root service its credentials directory.)
        try sandbox.write("/etc/shmd/nats.toml", "user = \"bridge\"\npassword = \"\(Self.natsPassword)\"\n")
        #expect(try sandbox.exec(["chown", "root:shm-bridge", "/etc/shmd/nats.toml"]).status == 0)
        #expect(try sandbox.exec(["chmod", "0640", "/etc/shmd/nats.toml"]).status == 0)
        let dropIn = try sandbox.exec(["/usr/local/bin/shm-bridge", "--print-drop-in", "demo"])
        #expect(dropIn.status == 0 && dropIn.stdout.hasSuffix("[Service]\nIPAddressAllow=127.0.0.1\n"), "\(dropIn)")

        // demo-in with a short watchdog, to see its pings arrive.
        try sandbox.write("/etc/systemd/system/shm-bridge@demo-in.service.d/watchdog.conf", "[Service]\nWatchdogSec=2\n")
        try sandbox.systemctl("daemon-reload")

        let journal = { (unit: String) in (try? sandbox.exec(["journalctl", "-u", unit, "--no-pager", "-o", "cat"]))?.stdout ?? "" }
        for unit in ["shm-bridge@demo", "shm-bridge@demo-in"] {
            let start = try sandbox.systemctl("start", unit)
            #expect(start.status == 0, "\(unit): \(start)\n\(journal(unit))")
            #expect(try sandbox.show("ActiveState", unit: unit) == "active")
        }
        // READY=1 came with both ends attached, and its status line says what flows where.
        #expect(try sandbox.show("StatusText", unit: "shm-bridge@demo") == "forwarding channel 'outbound' to 'shmd.demo' on stream 'SHMD_DEMO'")
        #expect(try sandbox.show("StatusText", unit: "shm-bridge@demo-in").hasPrefix("delivering 'shmd.demo' (consumer 'demo-in') into channel 'inbound'"))
        #expect(try sandbox.show("WatchdogUSec", unit: "shm-bridge@demo") == "20s")

        #expect(try sandbox.show("WatchdogUSec", unit: "shm-bridge@demo-in") == "2s")
        // systemd stamps each WATCHDOG=1: two new stamps are two pings, each within the period.
        var stamps: [String] = [try sandbox.show("WatchdogTimestampMonotonic", unit: "shm-bridge@demo-in")]
        for count in [2, 3] {
            #expect(
                waitUntil(seconds: 5, interval: 100_000) {
                    let now = (try? sandbox.show("WatchdogTimestampMonotonic", unit: "shm-bridge@demo-in")) ?? ""
                    if !now.isEmpty && now != stamps.last { stamps.append(now) }
                    return stamps.count >= count
                }, "no watchdog ping within 5 s: \(stamps)")
        }
        #expect(try sandbox.show("NRestarts", unit: "shm-bridge@demo-in") == "0")

        let reader = try sandbox.start(["/usr/local/bin/shm-reader", "inbound", "--count", "2", "--timeout", "30"])
        let writer = try sandbox.exec(["/usr/local/bin/shm-writer", "outbound", "--message", "across the bridge", "--message", "and the next"])
        #expect(writer.status == 0, "\(writer)")
        #expect(reader.waitForExit(seconds: 40) == 0, "reader: \(reader.stderr)\n\(journal("shm-bridge@demo"))\n\(journal("shm-bridge@demo-in"))")
        #expect(reader.stdout == "across the bridge\nand the next\n")
        let status = { (name: String) in (try? sandbox.exec(["cat", "/run/shm-bridge/\(name).status"]))?.stdout ?? "" }
        #expect(waitUntil(seconds: 10, interval: 100_000) { status("demo").contains("\nforwarded 2\n") }, "\(status("demo"))")
        #expect(waitUntil(seconds: 10, interval: 100_000) { status("demo-in").contains("\nforwarded 2\n") }, "\(status("demo-in"))")

        // shmctl bridges: the counters of both, from their status files; "attached" is the last state
        // change of a bridge that is up (NATS first, then the channel).
        let shown = try sandbox.exec(["/usr/local/bin/shmctl", "bridges"])
        #expect(shown.status == 0, "\(shown)")
        let lines = shown.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.first?.starts(with: ["BRIDGE", "DIR", "STATE", "PID", "FORWARDED", "IN-FLIGHT", "ACKED"]) == true, "\(shown.stdout)")
        let out = try #require(lines.first { $0.first == "demo" }, "\(shown.stdout)")
        #expect(out.count == 12 && out[1] == "out" && out[2] == "attached" && out[4] == "2" && out[6] == "2", "\(out)")
        let delivered = try #require(lines.first { $0.first == "demo-in" }, "\(shown.stdout)")
        #expect(delivered.count == 12 && delivered[1] == "in" && delivered[4] == "2" && delivered[8] == "0" && delivered[9] == "0", "\(delivered)")

        for unit in ["shm-bridge@demo-in", "shm-bridge@demo"] {
            #expect(try sandbox.systemctl("stop", unit).status == 0)
            #expect(try sandbox.show("ExecMainStatus", unit: unit) == "0")
            #expect(try sandbox.show("Result", unit: unit) == "success")
        }
        // Stopped, the bridges keep their last figures in shmctl.
        let stopped = try sandbox.exec(["/usr/local/bin/shmctl", "bridges", "--json"])
        #expect(stopped.status == 0, "\(stopped)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [[String: Any]], "\(stopped.stdout)")
        #expect(objects.map { $0["bridge"] as? String } == ["demo", "demo-in"], "\(stopped.stdout)")
        for object in objects {
            #expect(object["running"] as? Bool == false && object["state"] as? String == "stopped", "\(object)")
            #expect(object["forwarded"] as? Int == 2 && object["duplicates-dropped"] as? Int == 0, "\(object)")
        }

        let entries = try sandbox.journal(unit: "shm-bridge@demo").filter { $0["SYSLOG_IDENTIFIER"] == "shm-bridge" }
        #expect(!entries.isEmpty && entries.allSatisfy { $0["SHMD_BRIDGE"] == "demo" }, "\(entries)")
        let expected: [(event: String, priority: String, message: String)] = [
            ("starting", "5", "starting shm-bridge demo (pid "),
            ("connected", "5", "connected to NATS at \(server)"),
            ("stream-created", "5", "created stream 'SHMD_DEMO' over subject 'shmd.demo'"),
            ("attached", "6", "attached to channel 'outbound'"),
            ("ready", "5", "ready: forwarding channel 'outbound'"),
            ("stopped", "5", "stopped: forwarded 2,"),
        ]
        for line in expected {
            let found = entries.first { $0.event == line.event }
            #expect(found?.priority == line.priority, "\(line.event): \(found.map(String.init(describing:)) ?? "missing") in \(entries)")
            #expect(found?.message.hasPrefix(line.message) == true, "\(line.event): \(found?.message ?? "missing")")
        }
        // In that order: each state change once.
        let order = entries.compactMap(\.event).filter { expected.map(\.event).contains($0) }
        #expect(order == expected.map(\.event), "\(order)")
        #expect(try sandbox.journal(["SHMD_EVENT=ready"], unit: "shm-bridge@demo-in").first?["SHMD_BRIDGE"] == "demo-in")

        // The instance passes systemd-analyze verify silently (but for its man page, which the
        // sandbox's install has none of: make install-files installs .build/man's, absent here);
        // its exposure is quoted in the README.
        let verify = try sandbox.exec(["systemd-analyze", "verify", "--man=no", "/usr/local/lib/systemd/system/shm-bridge@demo.service"])
        #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "verify: \(verify)")
        let security = try sandbox.exec(["systemd-analyze", "security", "--no-pager", "shm-bridge@demo.service"])
        let line = try #require(
            security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level for shm-bridge@demo.service:") }, "\(security)")
        let figure = String(line[try #require(line.range(of: "service: ")).upperBound...].prefix { $0.isNumber || $0 == "." })
        #expect(try #require(Double(figure)) <= 2.5, "\(line)")
        let readme = try String(contentsOfFile: PackageRoot.path + "/README.md", encoding: .utf8)
        #expect(readme.contains("Overall exposure level for shm-bridge@demo.service: \(figure)"), "the README must quote: \(line)")

        // Refused credentials: exit 77, named, and RestartPreventExitStatus keeps it down.
        try sandbox.write("/etc/shmd/nats.toml", "user = \"bridge\"\npassword = \"wrong\"\n")
        #expect(try sandbox.systemctl("start", "shm-bridge@demo").status != 0)
        #expect(waitUntil(seconds: 10, interval: 50_000) { (try? sandbox.show("ActiveState", unit: "shm-bridge@demo")) == "failed" })
        #expect(try sandbox.show("ExecMainStatus", unit: "shm-bridge@demo") == "77")
        let refused = try sandbox.waitForJournal(unit: "shm-bridge@demo") { $0.event == "permission-denied" }
        #expect(refused?.priority == "3")
        #expect(refused?.message.contains("refused bridge 'demo'") == true, "\(refused?.message ?? "missing")")
        usleep(2_000_000)
        #expect(try sandbox.show("ActiveState", unit: "shm-bridge@demo") == "failed")
        #expect(try sandbox.show("NRestarts", unit: "shm-bridge@demo") == "0")

        // The right password again; kill -9 of the out bridge: systemd starts it again
        // (Restart=on-failure), and the next message crosses, once.
        try sandbox.write("/etc/shmd/nats.toml", "user = \"bridge\"\npassword = \"\(Self.natsPassword)\"\n")
        for unit in ["shm-bridge@demo", "shm-bridge@demo-in"] { #expect(try sandbox.systemctl("start", unit).status == 0, "\(journal(unit))") }
        let killed = try #require(Int32(try sandbox.show("MainPID", unit: "shm-bridge@demo")))
        try #require(killed > 0)
        #expect(try sandbox.exec(["kill", "-9", "\(killed)"]).status == 0)
        #expect(
            waitUntil(seconds: 20, interval: 100_000) {
                let pid = Int32((try? sandbox.show("MainPID", unit: "shm-bridge@demo")) ?? "") ?? 0
                return pid > 0 && pid != killed && (try? sandbox.show("ActiveState", unit: "shm-bridge@demo")) == "active"
            }, "shm-bridge@demo was not restarted after kill -9: \(journal("shm-bridge@demo"))")
        #expect(try sandbox.show("NRestarts", unit: "shm-bridge@demo") == "1")
        let after = try sandbox.start(["/usr/local/bin/shm-reader", "inbound", "--count", "1", "--timeout", "30"])
        #expect(try sandbox.exec(["/usr/local/bin/shm-writer", "outbound", "--message", "after the restart"]).status == 0)
        #expect(after.waitForExit(seconds: 40) == 0, "\(after.stderr)")
        #expect(after.stdout == "after the restart\n")
        // Nothing else arrives: no message of before came round again.
        let rest = try sandbox.exec(["/usr/local/bin/shm-reader", "inbound", "--timeout", "1"])
        #expect(rest.status == 75 && rest.stdout.isEmpty, "\(rest)")
    }
}
