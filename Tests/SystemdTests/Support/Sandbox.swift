import Foundation
import Glibc
import TestSupport

/// A real systemd booted by `sandbox.sh` in private namespaces, with shmd installed in it by the
/// project's own `make install-files`. Each test boots its own and stops it in a `defer`.
///
/// Everything runs inside through `sandbox.sh exec`, clients included: the sandbox has its own
/// /dev/shm, which the host never sees.
final class Sandbox {
    static let script = PackageRoot.path + "/Tests/SystemdTests/sandbox.sh"
    /// Where `installShmd` copies the install files inside the sandbox.
    static let stage = "/var/lib/shmd-test-source"

    /// Why no sandbox can boot on this machine (not root, no unshare, …), or `nil` when it can.
    static let unavailableReason: String? = {
        guard let check = try? host("/bin/bash", [script, "check"]), let status = check.waitForExit(seconds: 30) else {
            return "cannot run \(script) check"
        }
        return status == 0 ? nil : check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// CI must run these tests: there, a machine that cannot boot the sandbox fails them.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Run the suite when the sandbox can boot, and always in CI (where it then fails loudly).
    static var shouldRun: Bool { unavailableReason == nil || isCI }
    static var skipComment: String {
        "a real systemd cannot be booted here (\(unavailableReason ?? "")); CI=true makes this a failure instead of a skip"
    }

    /// A process on the host, with this process's environment as it is: sandbox.sh boots and
    /// talks to a systemd of its own, whatever systemd variables the test run has.
    private static func host(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        stdin: Bool = false
    ) throws -> ChildProcess {
        try ChildProcess(executable, arguments, environment: environment, serviceEnvironment: .inherited, stdin: stdin)
    }

    private static let next = Locked(0)

    let directory: String
    private var background: [ChildProcess] = []

    /// Boots a fresh systemd.
    ///
    /// - Throws: `TestFailure` with the reason when it cannot boot (in CI this fails the test).
    init() throws {
        if let reason = Self.unavailableReason {
            throw TestFailure(
                "cannot boot a real systemd for the systemd tests: \(reason). "
                    + "They need root, util-linux's unshare/nsenter and systemd installed (Debian: systemd, util-linux).")
        }
        let number = Self.next.withLock { next -> Int in
            next += 1
            return next
        }
        directory = "/tmp/shmd-sdns-\(getpid())-\(number)"
        let start = try Self.host("/bin/bash", [Self.script, "start"], environment: ["SDNS_DIR": directory])
        guard start.waitForExit(seconds: 60) == 0 else {
            start.terminate()
            stop()
            throw TestFailure("sandbox.sh start failed:\n\(start.stdout)\(start.stderr)")
        }
    }

    /// Powers the sandbox off (everything in it dies with it) and removes its folder.
    func stop() {
        if let stop = try? Self.host("/bin/bash", [Self.script, "stop"], environment: ["SDNS_DIR": directory]) {
            stop.waitForExit(seconds: 40)
        }
        for command in background { command.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `arguments` inside and waits for it, at most `seconds`.
    @discardableResult
    func exec(_ arguments: [String], input: Data? = nil, seconds: Double = 60) throws -> Finished {
        let command = try start(arguments, input: input)
        guard let status = command.waitForExit(seconds: seconds) else {
            command.terminate()
            throw TestFailure("\(arguments.joined(separator: " ")) did not finish in \(seconds) s inside the sandbox")
        }
        return Finished(status: status, stdout: command.stdout, stderr: command.stderr)
    }

    /// Starts `arguments` inside without waiting; stopped with the sandbox at the latest.
    func start(_ arguments: [String], input: Data? = nil) throws -> ChildProcess {
        let command = try Self.host("/bin/bash", [Self.script, "exec"] + arguments, environment: ["SDNS_DIR": directory], stdin: input != nil)
        if let input { command.feed(input) }
        background.append(command)
        return command
    }

    /// `systemctl ARGS`, always under `timeout`, so a hung job fails the test instead of hanging it.
    @discardableResult
    func systemctl(_ arguments: String...) throws -> Finished {
        try exec(["timeout", "30", "systemctl"] + arguments, seconds: 40)
    }

    /// `systemctl show -P PROPERTY UNIT`, shmd by default.
    func show(_ property: String, unit: String = "shmd") throws -> String {
        try systemctl("show", "-P", property, unit).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The main pid systemd has for shmd, or `nil` when there is none (never 0: `kill -9 0` would
    /// kill every process of the caller's group).
    func mainPID() throws -> Int32? {
        guard let pid = Int32(try show("MainPID")), pid > 0 else { return nil }
        return pid
    }

    /// Writes `contents` to `path` inside.
    func write(_ path: String, _ contents: String) throws {
        let result = try exec(["sh", "-c", "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1\"", "sh", path], input: Data(contents.utf8))
        guard result.status == 0 else { throw TestFailure("cannot write \(path) inside: \(result)") }
    }

    /// Installs shmd as `make install` would (debug executables, the unit, the sysusers file, the
    /// config), creates its user, reloads systemd, and writes `config` as /etc/shmd/shmd.toml.
    ///
    /// The files are copied in first: the checkout may live where the sandbox cannot see it
    /// (systemd mounts a fresh tmpfs on /tmp, and a clone in /tmp is hidden under it).
    func installShmd(config: String) throws {
        let stage = Self.stage
        let archive = try Self.host(
            "/bin/tar",
            [
                "-C", PackageRoot.path, "-cf", "-", "Makefile", "systemd", "config", "README.md",
                "Sources/ShmKitC/include/shmkit.h", "Tests/IntegrationTests/C/shmkit_crash.c",
                "-C", Executables.directory, "shmd", "shm-writer", "shm-reader", "shmctl", "shm-bridge", "libshmkit.so",
            ])
        guard archive.waitForExit(seconds: 60) == 0 else { throw TestFailure("tar of the install files failed: \(archive.stderr)") }
        let unpacked = try exec(["sh", "-c", "mkdir -p \"$1\" && tar -C \"$1\" -xf -", "sh", stage], input: archive.stdoutData, seconds: 120)
        guard unpacked.status == 0 else { throw TestFailure("cannot copy the install files into the sandbox: \(unpacked)") }
        let result = try exec(["make", "-s", "-C", stage, "install-files", "BUILT=\(stage)"], seconds: 120)
        guard result.status == 0 else { throw TestFailure("make install-files failed inside the sandbox: \(result)") }
        try write("/etc/shmd/shmd.toml", config)
    }

    /// Adds a drop-in to shmd.service (e.g. a short WatchdogSec for a test) and reloads systemd.
    func dropIn(_ name: String, _ contents: String) throws {
        try write("/etc/systemd/system/shmd.service.d/\(name).conf", contents)
        try systemctl("daemon-reload")
    }

    /// The names in the sandbox's /dev/shm, sorted.
    func shmFiles() throws -> [String] {
        try exec(["ls", "-1", "/dev/shm"]).stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// `journalctl -u UNIT -o json` (plus `filters`), one dictionary per entry, oldest first.
    func journal(_ filters: [String] = [], unit: String = "shmd") throws -> [JournalEntry] {
        let result = try exec(["journalctl", "-u", unit, "-o", "json", "--no-pager"] + filters)
        return result.stdout.split(separator: "\n").compactMap { JournalEntry(json: Data($0.utf8)) }
    }

    /// Waits until the journal has an entry matching `predicate`, at most `seconds`.
    func waitForJournal(seconds: Double = 15, unit: String = "shmd", _ predicate: (JournalEntry) -> Bool) throws -> JournalEntry? {
        var found: JournalEntry?
        _ = waitUntil(seconds: seconds, interval: 100_000) {
            found = (try? journal(unit: unit))?.first(where: predicate)
            return found != nil
        }
        return found
    }
}

/// One journal entry as `journalctl -o json` prints it.
struct JournalEntry: CustomStringConvertible {
    let fields: [String: String]

    init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return nil }
        var fields: [String: String] = [:]
        for (key, value) in object {
            if let text = value as? String {
                fields[key] = text
            } else if let bytes = value as? [Int] {
                // journalctl prints a value that is not plain text as an array of bytes.
                fields[key] = String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
            }
        }
        self.fields = fields
    }

    subscript(_ key: String) -> String? { fields[key] }
    var message: String { fields["MESSAGE"] ?? "" }
    var priority: String? { fields["PRIORITY"] }
    var event: String? { fields["SHMD_EVENT"] }
    var description: String { "<\(priority ?? "?")> \(message) \(fields.filter { $0.key.hasPrefix("SHMD_") })" }
}
