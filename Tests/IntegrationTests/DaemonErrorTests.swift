import Foundation
import Glibc
import TestSupport
import Testing

@Suite("shmd refuses bad configs and impossible channels, creating nothing")
struct DaemonErrorTests {
    func shmd(_ toml: String, _ extra: [String] = []) throws -> (status: Int32, stdout: String, stderr: String, prefix: String) {
        let prefix = TestNames.prefix()
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try toml.replacingOccurrences(of: "@P", with: prefix).write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let result = try run(Executables.path("shmd"), ["--config", path] + extra, seconds: 20)
        return (result.status, result.stdout, result.stderr, prefix)
    }

    @Test("--check-config prints ok for a good file")
    func checkConfigOK() throws {
        let result = try shmd("[daemon]\nprefix = \"@P\"\n[[channel]]\nname = \"a\"\n", ["--check-config"])
        #expect(result.status == 0)
        #expect(result.stdout == "ok\n")
        #expect(TestNames.leftovers(result.prefix).isEmpty)
    }

    @Test("--check-config prints the error with file, line and key, exit 78")
    func checkConfigBad() throws {
        let result = try shmd("[daemon]\nprefix = \"@P\"\n[[channel]]\nname = \"a\"\nslots = 0\n", ["--check-config"])
        #expect(result.status == 78)
        #expect(result.stderr.contains(".toml:5: channel[0].slots: must be between 1 and 65536, not 0"))
    }

    @Test("--check-config refuses a seed segment that is the file of a ring channel's semaphore, exit 78")
    func checkConfigObjectCollision() throws {
        let result = try shmd(
            """
            [daemon]
            prefix = "@P"
            [[channel]]
            name = "demo"
            [[channel]]
            name = "s"
            layout = "seed"
            segment = "/sem.@P.demo.empty"
            sem-empty = "/@P_e"
            sem-full = "/@P_f"
            """, ["--check-config"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr.contains(".toml:5: channel[1]: the buffer segment /sem.\(result.prefix).demo.empty of channel 's' (from channel[1].segment)"),
            "\(result.stderr)")
        #expect(result.stderr.contains("are the same file, /dev/shm/sem.\(result.prefix).demo.empty: creating one would delete the other"), "\(result.stderr)")
        #expect(TestNames.leftovers(result.prefix).isEmpty)
    }

    @Test("a bad config stops shmd with 78 and creates nothing, even the channels before the bad one")
    func badConfigCreatesNothing() throws {
        let result = try shmd(
            """
            [daemon]
            prefix = "@P"
            [[channel]]
            name = "good"
            [[channel]]
            name = "good"
            """)
        #expect(result.status == 78)
        #expect(result.stderr.contains("<3>invalid configuration:"))
        #expect(result.stderr.contains(":6: channel[1].name: duplicate channel name 'good'"))
        #expect(TestNames.leftovers(result.prefix).isEmpty)
    }

    @Test("a missing --config file is exit 78 naming the file")
    func missingConfig() throws {
        let result = try run(Executables.path("shmd"), ["--config", "/nonexistent/shmd.toml"], seconds: 20)
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/shmd.toml: cannot read the file: no such file"))
    }

    @Test("a --config that is a FIFO is refused at once with 78, not waited on")
    func fifoConfig() throws {
        let path = NSTemporaryDirectory() + "\(TestNames.prefix()).toml"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        // run() has a deadline: a shmd blocked opening the FIFO is killed and the test fails.
        let result = try run(Executables.path("shmd"), ["--config", path], seconds: 20)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(path): cannot read the file: is a FIFO, not a regular file"), "\(result.stderr)")
    }

    @Test("a --config that shmd's user may not read is 78 naming that user and the fix")
    func unreadableConfig() throws {
        let prefix = TestNames.prefix()
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try "[daemon]\nprefix = \"\(prefix)\"\n[[channel]]\nname = \"a\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect(chmod(path, 0o600) == 0)
        let result = try run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups",
                Executables.path("shmd"), "--check-config", "--config", path,
            ], seconds: 20)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(path): cannot read the file: permission denied: shmd runs as user nobody (uid 65534)"), "\(result.stderr)")
        #expect(result.stderr.contains("chmod 0640 \(path)"), "\(result.stderr)")
    }

    @Test("a --config that is a directory is 78 saying so")
    func directoryConfig() throws {
        let result = try run(Executables.path("shmd"), ["--check-config", "--config", "/tmp"], seconds: 20)
        #expect(result.status == 78)
        #expect(result.stderr == "shmd: /tmp: cannot read the file: is a directory, not a regular file: give the path of the TOML file itself\n")
    }

    @Test("with require-all-channels, a channel that cannot be created fails the start with 73 and removes the channels made before it")
    func creationFailureRollsBack() throws {
        // The second channel's semaphore name is taken by a directory, which sem_unlink cannot remove.
        let prefix = TestNames.prefix()
        let blocker = "/dev/shm/sem.\(prefix).second.empty"
        #expect(mkdir(blocker, 0o700) == 0)
        defer { rmdir(blocker) }
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try "[daemon]\nprefix = \"\(prefix)\"\nrequire-all-channels = true\n[[channel]]\nname = \"first\"\n[[channel]]\nname = \"second\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let result = try run(Executables.path("shmd"), ["--config", path], seconds: 20)
        #expect(result.status == 73 || result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("second"))
        #expect(TestNames.leftovers(prefix) == ["sem.\(prefix).second.empty"])
    }

    @Test("a full /dev/shm is an error at start, before anything is created")
    func insufficientSharedMemory() throws {
        // A private mount namespace with a 1 MiB /dev/shm: the 4 MiB channel cannot fit.
        let prefix = TestNames.prefix()
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try "[daemon]\nprefix = \"\(prefix)\"\n[[channel]]\nname = \"big\"\nslots = 64\nslot-size = 65536\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let script = "mount -t tmpfs -o size=1m tmpfs /dev/shm && exec \"$0\" --config \"$1\"; ls /dev/shm"
        let result = try run(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                script + "\nexit 99", Executables.path("shmd"), path,
            ], seconds: 20)
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("/dev/shm has 1048576 bytes free but the channels need"))
        #expect(result.stderr.contains("df -h /dev/shm"))
        #expect(TestNames.leftovers(prefix).isEmpty)
    }
}
