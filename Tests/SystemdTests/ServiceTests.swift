import Foundation
import TestSupport
import Testing

/// shmd as the packaged service under a real systemd: start, clients as a group member, the
/// journal, reload, stop, crashes and the watchdog, and the unit's own checks. Each test boots its
/// own sandbox; the suite runs one test at a time so that watchdog timings are not starved.
@Suite("shmd.service under a real systemd", .serialized, .enabled(if: Sandbox.shouldRun, Comment(rawValue: Sandbox.skipComment)))
struct ServiceTests {
    static let config = """
        [daemon]
        sweep-interval = 0.1

        [[channel]]
        name = "demo"
        slots = 4
        slot-size = 64

        [[channel]]
        name = "other"
        slots = 2
        slot-size = 32
        """

    static let demoFiles = ["sem.shmd.demo.empty", "sem.shmd.demo.full", "shmd.demo"]
    static let allFiles = (demoFiles + ["sem.shmd.other.empty", "sem.shmd.other.full", "shmd.other"]).sorted()

    /// A sandbox with shmd installed and `config` in place; not started.
    func sandbox(config: String = ServiceTests.config) throws -> Sandbox {
        let sandbox = try Sandbox()
        do {
            try sandbox.installShmd(config: config)
        } catch {
            sandbox.stop()
            throw error
        }
        return sandbox
    }

    /// Starts `arguments` inside behind `sh -c 'echo $$; exec …'`, and returns the command and the
    /// pid it has inside, so that a test can signal exactly that process.
    func startWithPID(_ sandbox: Sandbox, _ arguments: [String]) throws -> (ChildProcess, Int32) {
        let command = try sandbox.start(["sh", "-c", "echo $$; exec \"$@\"", "sh"] + arguments)
        var pid: Int32?
        _ = waitUntil(seconds: 10, interval: 20_000) {
            pid = command.stdout.split(separator: "\n").first.flatMap { Int32($0) }
            return pid != nil
        }
        guard let pid else { throw TestFailure("\(arguments) did not start: \(command.stderr)") }
        return (command, pid)
    }

    func waitForClients(_ sandbox: Sandbox, _ count: Int) -> Bool {
        waitUntil(seconds: 15, interval: 50_000) {
            ((try? sandbox.show("StatusText")) ?? "").contains("\(count) client\(count == 1 ? "" : "s") attached")
        }
    }

    @Test("systemctl start returns once the channels exist; a non-root member of group shmd exchanges messages; others are refused")
    func startAndClients() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }

        let start = try sandbox.systemctl("start", "shmd")
        #expect(start.status == 0, "\(start)")
        // Right after `systemctl start` returned: READY=1 came only after every object existed.
        #expect(try sandbox.shmFiles() == Self.allFiles)
        #expect(try sandbox.systemctl("is-active", "shmd").stdout == "active\n")
        #expect(try sandbox.exec(["stat", "-c", "%U %G %a", "/dev/shm/shmd.demo"]).stdout == "shmd shmd 660\n")
        #expect(try sandbox.show("StatusText").hasPrefix("2 channels (demo, other), 0 clients attached"))

        #expect(try sandbox.exec(["useradd", "--no-create-home", "--groups", "shmd", "alice"]).status == 0)
        #expect(try sandbox.exec(["useradd", "--no-create-home", "mallory"]).status == 0)
        let reader = try sandbox.start(["runuser", "-u", "alice", "--", "/usr/local/bin/shm-reader", "demo", "--count", "2", "--timeout", "30"])
        #expect(waitForClients(sandbox, 1), "the reader never attached: \(reader.stderr)")
        let writer = try sandbox.exec([
            "setpriv", "--reuid=alice", "--regid=alice", "--init-groups",
            "/usr/local/bin/shm-writer", "demo", "--message", "one", "--message", "two",
        ])
        #expect(writer.status == 0, "\(writer)")
        #expect(reader.waitForExit(seconds: 30) == 0, "reader: \(reader.stderr)")
        #expect(reader.stdout == "one\ntwo\n")

        let refused = try sandbox.exec(["runuser", "-u", "mallory", "--", "/usr/local/bin/shm-writer", "demo", "--message", "x"])
        #expect(refused.status == 77)
        #expect(refused.stderr.contains("permission denied opening /shmd.demo of channel 'demo'"))
        #expect(waitUntil(seconds: 5, interval: 20_000) { ((try? sandbox.show("StatusText")) ?? "").contains("2 messages delivered") })
    }

    @Test("journalctl -u shmd -o json: lifecycle lines with priorities and SHMD_ fields; SHMD_CHANNEL=demo filters")
    func journal() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        let (reader, readerPID) = try startWithPID(sandbox, ["/usr/local/bin/shm-reader", "demo"])
        #expect(waitForClients(sandbox, 1), "the reader never attached: \(reader.stderr)")
        #expect(try sandbox.exec(["kill", "-9", "\(readerPID)"]).status == 0)
        let died = try sandbox.waitForJournal { $0.event == "client-died" }
        #expect(died?.priority == "4")
        #expect(died?["SHMD_CHANNEL"] == "demo")
        #expect(died?["SHMD_CLIENT_PID"] == "\(readerPID)")
        #expect(died?["SHMD_ROLE"] == "reader")
        #expect(try sandbox.systemctl("stop", "shmd").status == 0)

        let entries = try sandbox.journal().filter { $0["SYSLOG_IDENTIFIER"] == "shmd" }
        func entry(_ event: String, channel: String? = nil) -> JournalEntry? {
            entries.first { $0.event == event && (channel == nil || $0["SHMD_CHANNEL"] == channel) }
        }
        let expected: [(event: String, channel: String?, priority: String, message: String)] = [
            ("starting", nil, "5", "starting shmd"),
            ("created", "demo", "6", "channel demo created: ring of 4 slots × 64 bytes"),
            ("created", "other", "6", "channel other created"),
            ("ready", nil, "5", "ready: 2 channels (demo, other)"),
            ("client-died", "demo", "4", "client died: reader pid \(readerPID) of channel demo"),
            ("stopping", nil, "5", "stopping"),
            ("removed", "demo", "6", "channel demo removed"),
            ("stopped", nil, "5", "stopped"),
        ]
        for line in expected {
            let found = entry(line.event, channel: line.channel)
            #expect(found?.priority == line.priority, "\(line.event): \(found.map(String.init(describing:)) ?? "missing")")
            #expect(found?.message.hasPrefix(line.message) == true, "\(line.event): \(found?.message ?? "missing")")
        }
        #expect(entry("starting")?["SHMD_FILE"] == "/etc/shmd/shmd.toml")
        #expect(entry("created", channel: "demo")?["SHMD_OBJECTS"] == "/shmd.demo,/shmd.demo.empty,/shmd.demo.full")

        let demo = try sandbox.journal(["SHMD_CHANNEL=demo"])
        #expect(Set(demo.compactMap(\.event)) == ["created", "client-died", "removed"])
        #expect(demo.allSatisfy { $0["SHMD_CHANNEL"] == "demo" })
    }

    @Test(
        "a reader stopped while it holds a message: journalctl -u shmd SHMD_EVENT=stuck has one stuck line, and one released line after SIGCONT; shmctl status names it"
    )
    func stuck() throws {
        let sandbox = try sandbox(config: Self.config.replacingOccurrences(of: "slot-size = 64\n", with: "slot-size = 64\nstuck-after = 1\n"))
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        // The crash tests' C client, built here against the installed library as a user would.
        let source = "\(Sandbox.stage)/Tests/IntegrationTests/C/shmkit_crash.c"
        let built = try sandbox.exec(["cc", "-O2", "-o", "/usr/local/bin/shmkit_crash", source, "-lshmkit", "-Wl,-rpath,/usr/local/lib"])
        #expect(built.status == 0, "\(built)")
        // Run by the sandbox's systemd rather than through nsenter, which stops itself when its
        // child stops and would never reap it.
        #expect(try sandbox.exec(["systemd-run", "--unit", "holder", "/usr/local/bin/shmkit_crash", "reader-stop", "shmd", "demo"]).status == 0)
        var readerPID: Int32 = 0
        #expect(
            waitUntil(seconds: 10, interval: 50_000) {
                readerPID = Int32((try? sandbox.show("MainPID", unit: "holder")) ?? "") ?? 0
                return readerPID > 0
            })
        #expect(try sandbox.exec(["/usr/local/bin/shm-writer", "demo", "--message", "held", "--message", "next"]).status == 0)
        let stuck = try sandbox.waitForJournal { $0.event == "stuck" && $0["SHMD_STUCK"] == "held" }
        #expect(stuck?.priority == "4")
        #expect(stuck?.message.hasPrefix("channel demo: reader pid \(readerPID) (stopped) has held slot 0 for") == true, "\(String(describing: stuck))")
        #expect(stuck?["SHMD_CLIENT_PID"] == "\(readerPID)" && stuck?["SHMD_CHANNEL"] == "demo")
        let status = try sandbox.exec(["/usr/local/bin/shmctl", "status", "demo"])
        #expect(status.stdout.contains("reader pid \(readerPID) (stopped) has held slot 0"), "\(status)")
        #expect(waitUntil(seconds: 10, interval: 50_000) { ((try? sandbox.show("StatusText")) ?? "").contains("stuck: demo reader pid \(readerPID)") })

        #expect(try sandbox.exec(["kill", "-CONT", "\(readerPID)"]).status == 0)
        let released = try sandbox.waitForJournal { $0.event == "stuck" && $0["SHMD_STUCK"] == "released" }
        #expect(released?.message.hasPrefix("channel demo: reader pid \(readerPID) no longer holds slot 0") == true, "\(String(describing: released))")
        // Exactly one of each, however many sweeps (every 0.1 s) saw the slot held.
        let lines = try sandbox.journal(["SHMD_EVENT=stuck"])
        #expect(lines.map { $0["SHMD_STUCK"] ?? "?" } == ["held", "released"], "\(lines)")
        // shmd stopped: the reader takes the rest and ends with the stream, exit 0.
        #expect(try sandbox.systemctl("stop", "shmd").status == 0)
        #expect(waitUntil(seconds: 10, interval: 50_000) { ((try? sandbox.show("ActiveState", unit: "holder")) ?? "") != "active" })
        #expect(try sandbox.show("ExecMainStatus", unit: "holder") == "0")
    }

    @Test("systemctl reload: a channel added, one removed (its reader told), one kept with its message; refused and broken files keep the old")
    func reload() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        #expect(try sandbox.exec(["/usr/local/bin/shm-writer", "demo", "--message", "queued before the reload"]).status == 0)
        let reader = try sandbox.start(["/usr/local/bin/shm-reader", "other"])
        #expect(waitForClients(sandbox, 1), "the reader never attached: \(reader.stderr)")

        let added = """
            [daemon]
            sweep-interval = 0.1

            [[channel]]
            name = "demo"
            slots = 4
            slot-size = 64

            [[channel]]
            name = "added"
            """
        try sandbox.write("/etc/shmd/shmd.toml", added)
        let reload = try sandbox.systemctl("reload", "shmd")
        #expect(reload.status == 0, "\(reload)")
        // `systemctl reload` returned after the reload was done (ExecReload waits for it).
        #expect(try sandbox.shmFiles() == (Self.demoFiles + ["sem.shmd.added.empty", "sem.shmd.added.full", "shmd.added"]).sorted())
        #expect(reader.waitForExit(seconds: 5) == 0, "the reader of the removed channel did not exit by itself: \(reader.stderr)")
        #expect(reader.stderr.contains("channel 'other' was closed by shmd"))
        let reloaded = try sandbox.waitForJournal { $0.event == "reloaded" }
        #expect(reloaded?.priority == "5")
        #expect(reloaded?.message == "reloaded /etc/shmd/shmd.toml: 1 added (added), 1 removed (other), 1 unchanged, 0 refused")
        #expect(try sandbox.journal().contains { $0.message.hasPrefix("Reloaded shmd.service") })

        let size = try sandbox.exec(["stat", "-c", "%s %i", "/dev/shm/shmd.demo"]).stdout
        try sandbox.write("/etc/shmd/shmd.toml", added.replacingOccurrences(of: "slots = 4", with: "slots = 8"))
        let refused = try sandbox.systemctl("reload", "shmd")
        #expect(refused.status != 0, "a refused change must make `systemctl reload` fail")
        let warning = try sandbox.waitForJournal { $0.event == "reload-refused" }
        #expect(warning?.priority == "4")
        #expect(warning?["SHMD_CHANNEL"] == "demo")
        #expect(warning?.message.contains("channel 'demo' is live as a ring of 4 slots × 64 bytes") == true)
        // The same object (inode), the same size: untouched.
        #expect(try sandbox.exec(["stat", "-c", "%s %i", "/dev/shm/shmd.demo"]).stdout == size)

        try sandbox.write("/etc/shmd/shmd.toml", "[[channel]]\nname = \"demo\"\nslots = \"many\"\n")
        let broken = try sandbox.systemctl("reload", "shmd")
        #expect(broken.status != 0)
        let error = try sandbox.waitForJournal { $0.event == "reload-failed" }
        #expect(error?.priority == "3")
        #expect(error?.message.contains("/etc/shmd/shmd.toml:3: channel[0].slots: wrong type") == true, "\(error?.message ?? "missing")")
        #expect(try sandbox.systemctl("is-active", "shmd").stdout == "active\n")
        #expect(try sandbox.show("StatusText").contains("last reload: failed"))
        #expect(try sandbox.shmFiles().contains("shmd.added"))

        let kept = try sandbox.exec(["/usr/local/bin/shm-reader", "demo", "--count", "1", "--timeout", "5"])
        #expect(kept.stdout == "queued before the reload\n", "\(kept)")
    }

    @Test("systemctl stop: exit status 0, /dev/shm empty, a blocked reader exits by itself saying the channel closed")
    func stop() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        #expect(try sandbox.systemctl("start", "shmd").status == 0)
        let reader = try sandbox.start(["/usr/local/bin/shm-reader", "demo"])
        #expect(waitForClients(sandbox, 1), "the reader never attached: \(reader.stderr)")

        #expect(try sandbox.systemctl("stop", "shmd").status == 0)
        #expect(try sandbox.show("ExecMainStatus") == "0")
        #expect(try sandbox.show("Result") == "success")
        #expect(try sandbox.show("ActiveState") == "inactive")
        #expect(try sandbox.shmFiles() == [])
        #expect(reader.waitForExit(seconds: 5) == 0, "reader: \(reader.stderr)")
        #expect(reader.stderr.contains("channel 'demo' was closed by shmd"))
    }

    @Test("kill -9 and a stopped watchdog restart shmd; a config error (exit 78) does not")
    func restarts() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        // Short watchdog and timeouts, and no start limit, so that three restarts take seconds.
        try sandbox.dropIn(
            "test",
            """
            [Unit]
            StartLimitIntervalSec=0
            [Service]
            WatchdogSec=3
            RestartSec=200ms
            TimeoutAbortSec=2
            TimeoutStopSec=3
            """)
        #expect(try sandbox.systemctl("start", "shmd").status == 0)

        let first = try #require(try sandbox.mainPID())
        #expect(try sandbox.exec(["kill", "-9", "\(first)"]).status == 0)
        var second: Int32?
        let restarted = waitUntil(seconds: 20, interval: 100_000) {
            second = try? sandbox.mainPID()
            return second != nil && second != first && (try? sandbox.show("ActiveState")) == "active"
        }
        #expect(restarted, "shmd was not restarted after kill -9")
        #expect(try sandbox.show("NRestarts") == "1")
        #expect(try sandbox.shmFiles() == Self.allFiles)
        // RemoveIPC=no: the killed daemon's objects were still there, and the new one adopted them.
        #expect(try sandbox.journal().contains { $0.message.hasPrefix("channel demo adopted from shmd pid \(first), which is gone: generation 2") })

        // SIGSTOP: the loop stops, so do the pings; systemd aborts and restarts it.
        let stopped = try #require(second)
        #expect(try sandbox.exec(["kill", "-STOP", "\(stopped)"]).status == 0)
        var third: Int32?
        let watchdogRestart = waitUntil(seconds: 30, interval: 100_000) {
            third = try? sandbox.mainPID()
            return third != nil && third != stopped && (try? sandbox.show("ActiveState")) == "active"
        }
        #expect(watchdogRestart, "the watchdog did not restart a stopped shmd")
        #expect(try sandbox.show("NRestarts") == "2")
        #expect(try sandbox.journal().contains { $0.message.contains("Watchdog timeout") })

        try sandbox.write("/etc/shmd/shmd.toml", "[[channel]]\nname = \"a/b\"\n")
        #expect(try sandbox.systemctl("restart", "shmd").status != 0)
        #expect(waitUntil(seconds: 10, interval: 20_000) { (try? sandbox.show("ActiveState")) == "failed" })
        #expect(try sandbox.show("ExecMainStatus") == "78")
        let error = try sandbox.waitForJournal { $0.event == "config-error" }
        #expect(error?.priority == "3")
        #expect(error?.message.contains("/etc/shmd/shmd.toml:2: channel[0].name") == true, "\(error?.message ?? "missing")")
        // Ten restart delays later it is still down: RestartPreventExitStatus=78. (A manual start
        // resets the count of automatic restarts, so any restart now would make it 1.)
        usleep(2_000_000)
        #expect(try sandbox.show("ActiveState") == "failed")
        #expect(try sandbox.show("NRestarts") == "0")
    }

    @Test("the unit passes systemd-analyze verify silently, its exposure is at most 2.5 and quoted in the README; make uninstall")
    func unitChecks() throws {
        let sandbox = try sandbox()
        defer { sandbox.stop() }
        // The staged copy: the checkout itself may be hidden from the sandbox (see installShmd).
        let unit = Sandbox.stage + "/systemd/shmd.service"
        for file in [unit, "/usr/local/lib/systemd/system/shmd.service"] {
            let verify = try sandbox.exec(["systemd-analyze", "verify", file])
            #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "verify \(file): \(verify)")
        }

        let security = try sandbox.exec(["systemd-analyze", "security", "--offline=true", "--no-pager", unit])
        let line = try #require(
            security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level for shmd.service:") },
            "\(security)")
        // "→ Overall exposure level for shmd.service: 0.8 SAFE :-}"
        let after = try #require(line.range(of: "shmd.service: ")).upperBound
        let figure = String(line[after...].prefix { $0.isNumber || $0 == "." })
        let exposure = try #require(Double(figure))
        #expect(exposure <= 2.5, "\(line)")
        let readme = try String(contentsOfFile: PackageRoot.path + "/README.md", encoding: .utf8)
        #expect(readme.contains("Overall exposure level for shmd.service: \(figure)"), "the README must quote: \(line)")

        try sandbox.write("/etc/shmd/shmd.toml", "# edited by the admin\n[[channel]]\nname = \"mine\"\n")
        let uninstall = try sandbox.exec(["make", "-s", "-C", Sandbox.stage, "uninstall"])
        #expect(uninstall.status == 0, "\(uninstall)")
        #expect(uninstall.stdout.contains("kept /etc/shmd/shmd.toml: it was edited"))
        let left = try sandbox.exec([
            "sh", "-c", "ls /usr/local/bin/shmd /usr/local/lib/systemd/system/shmd.service /usr/local/lib/sysusers.d/shmd.conf /etc/shmd/shmd.toml 2>/dev/null",
        ])
        #expect(left.stdout == "/etc/shmd/shmd.toml\n")
    }
}
