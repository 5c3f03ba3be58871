import Foundation
import Glibc
import TestSupport

/// A unique object-name prefix per test, so that tests run side by side and never collide with
/// a real shmd; and the check that a test left nothing in /dev/shm.
enum TestNames {
    private static let next = Locked(0)

    static func prefix(_ hint: String = "t") -> String {
        next.withLock { next in
            next += 1
            return "\(hint)\(getpid())x\(next)"
        }
    }

    /// Files in /dev/shm that belong to `prefix` (segments and `sem.` files): the prefix, then
    /// `.` (channels) or `_` (the seed objects tests name). The separator matters: prefix `t1x2`
    /// must not claim the objects of `t1x21`, a test running alongside.
    static func leftovers(_ prefix: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
        let starts = [".", "_"].flatMap { [prefix + $0, "sem." + prefix + $0] }
        return entries.filter { name in starts.contains { name.hasPrefix($0) } }.sorted()
    }
}

/// shmd started for one test with its own prefix and config, talking to a fake NOTIFY_SOCKET.
final class TestDaemon: Sendable {
    let prefix: String
    let configPath: String
    let notify: FakeNotifySocket
    let child: ChildProcess
    /// What every command of this daemon is started through (`PrivateShm.launcher`), or nothing.
    let launcher: [String]

    /// Writes `channels` (TOML `[[channel]]` tables) under a `[daemon]` table with a fresh prefix,
    /// starts shmd and waits for READY=1.
    ///
    /// - Parameter onNotify: runs on the notify thread at the moment each datagram arrives.
    /// - Parameter launcher: a command line the daemon and its clients are started through,
    ///   such as `nsenter` into a private /dev/shm and `setpriv` to another user.
    init(
        channels: String, daemonExtra: String = "", prefix: String = TestNames.prefix(),
        launcher: [String] = [], daemonLauncher: [String]? = nil, onNotify: ((String) -> Void)? = nil
    ) throws {
        self.prefix = prefix
        self.launcher = launcher
        configPath = NSTemporaryDirectory() + "\(prefix).toml"
        let toml = "[daemon]\nprefix = \"\(prefix)\"\n\(daemonExtra)\n" + channels.replacingOccurrences(of: "@P", with: prefix)
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        notify = try FakeNotifySocket(onMessage: onNotify)
        let command = (daemonLauncher ?? launcher) + [Executables.path("shmd"), "--config", configPath]
        child = try ChildProcess(command[0], Array(command.dropFirst()), environment: ["NOTIFY_SOCKET": notify.path])
        guard notify.waitFor("READY=1", seconds: 20) else {
            child.terminate()
            throw TestFailure("shmd did not send READY=1; stderr:\n\(child.stderr)")
        }
    }

    /// SIGTERM, then the exit status (nil if shmd is still running after `seconds`).
    func stop(seconds: Double = 10) -> Int32? {
        child.signal(SIGTERM)
        let status = child.waitForExit(seconds: seconds)
        if status == nil { child.terminate() }
        try? FileManager.default.removeItem(atPath: configPath)
        return status
    }

    deinit {
        child.terminate()
        try? FileManager.default.removeItem(atPath: configPath)
    }

    /// Whether shmd's log (its stderr, collected by another thread) shows `text` within `seconds`.
    func logs(_ text: String, within seconds: Double = 5) -> Bool {
        waitUntil(seconds: seconds) { child.stderr.contains(text) }
    }

    /// Runs a client executable against this daemon's prefix.
    func client(_ name: String, _ arguments: [String], input: Data? = nil, seconds: Double = 60) throws -> Finished {
        let command = launcher + [Executables.path(name)] + arguments + ["--prefix", prefix]
        return try run(command[0], Array(command.dropFirst()), input: input, seconds: seconds)
    }

    func startClient(_ name: String, _ arguments: [String], stdin: Bool = false) throws -> ChildProcess {
        let command = launcher + [Executables.path(name)] + arguments + ["--prefix", prefix]
        return try ChildProcess(command[0], Array(command.dropFirst()), stdin: stdin)
    }
}
