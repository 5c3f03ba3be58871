import Foundation
import Glibc
import TestSupport

/// A /dev/shm of its own: a mount namespace with a fresh tmpfs (mode 1777, like the real one),
/// held open by a sleeping process. Commands run through `launcher` see only it; the test looks
/// into it through `/proc/PID/root`. When the value goes, the namespace and everything in it go,
/// so nothing is ever left in the machine's /dev/shm.
final class PrivateShm: Sendable {
    private let holder: ChildProcess

    init(size: String = "256m") throws {
        holder = try ChildProcess(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount -t tmpfs -o mode=1777,size=\(size) hostile /dev/shm && echo ready && exec sleep 3600",
            ])
        guard waitUntil(seconds: 10, { holder.stdout.contains("ready") }) else {
            holder.terminate()
            throw TestFailure("no private /dev/shm: \(holder.stderr)")
        }
    }

    deinit { holder.terminate() }

    /// The private /dev/shm as this process sees it.
    var directory: String { "/proc/\(holder.pid)/root/dev/shm" }

    /// The path of `name` (a file name in /dev/shm) as this process sees it.
    func path(_ name: String) -> String { directory + "/" + name }

    /// Runs a command in the namespace (as root, or as `user`).
    func launcher(as user: TestUser? = nil) -> [String] {
        ["/usr/bin/nsenter", "-t", "\(holder.pid)", "-m", "--"] + (user?.setpriv ?? [])
    }

    /// Runs `script` with /bin/sh in the namespace as `user` (root when `nil`).
    @discardableResult
    func shell(_ script: String, as user: TestUser? = nil) throws -> Finished {
        let command = launcher(as: user) + ["/bin/sh", "-c", script]
        return try run(command[0], Array(command.dropFirst()), seconds: 30)
    }

    /// The files in the private /dev/shm.
    var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() }

    /// Overwrites `bytes` at `offset` of file `name` in place (as root, who may write any file).
    func poke(_ name: String, offset: Int, _ bytes: [UInt8]) throws {
        let fd = open(path(name), O_WRONLY)
        guard fd >= 0 else { throw TestFailure("open \(name): \(errno)") }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }) == bytes.count else {
            throw TestFailure("pwrite \(name): \(errno)")
        }
    }

    /// `poke` of a little-endian integer.
    func poke<I: FixedWidthInteger>(_ name: String, offset: Int, value: I) throws {
        try poke(name, offset: offset, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }
}

/// A user the tests create for themselves (never a real account): a local attacker, or shmd's
/// service user.
struct TestUser: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// The user `name`, created with a group of its own if it does not exist yet.
    static func ensure(_ name: String) throws -> TestUser {
        if getpwnam(name) == nil {
            let result = try run(
                "/usr/sbin/useradd",
                [
                    "--system", "--user-group", "--no-create-home",
                    "--shell", "/usr/sbin/nologin", name,
                ])
            // Another test creating the same user at the same moment is fine too.
            guard result.status == 0 || getpwnam(name) != nil else { throw TestFailure("useradd \(name): \(result.stderr)") }
        }
        guard let entry = getpwnam(name) else { throw TestFailure("no user \(name)") }
        return TestUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// `setpriv` to this user, its own group only.
    var setpriv: [String] { ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups"] }
}
