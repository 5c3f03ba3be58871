import Foundation
import Glibc
import TestSupport
import Testing

/// A world bit in a mode is refused unless the config says `allow-world = true`; then shmd warns
/// at every start, naming the channels and their modes.
@Suite("shmd and world-accessible channels")
struct WorldAccessTests {
    @Test("--check-config refuses a group- and world-readable mode with 78, naming the key and allow-world")
    func checkConfigRefuses() throws {
        let prefix = TestNames.prefix()
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try "[daemon]\nprefix = \"\(prefix)\"\nmode = \"0664\"\n[[channel]]\nname = \"a\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let result = try run(Executables.path("shmd"), ["--check-config", "--config", path], seconds: 20)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(path):3: daemon.mode: 0664 gives every user on this host read access"), "\(result.stderr)")
        #expect(result.stderr.contains("set allow-world = true"), "\(result.stderr)")
    }

    @Test("--check-config accepts it with allow-world = true, warning on stderr")
    func checkConfigWarns() throws {
        let prefix = TestNames.prefix()
        let path = NSTemporaryDirectory() + "\(prefix).toml"
        try "[daemon]\nprefix = \"\(prefix)\"\n[[channel]]\nname = \"pub\"\nmode = \"0664\"\nallow-world = true\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let result = try run(Executables.path("shmd"), ["--check-config", "--config", path], seconds: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok\n")
        #expect(result.stderr.contains("shmd: warning: channel open to every local user (allow-world = true): pub (mode 0664)"), "\(result.stderr)")
    }

    @Test("shmd creates the objects with the world-readable mode and warns at start, naming channels and modes")
    func startWarns() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "pub"
                [[channel]]
                name = "private"
                mode = "0660"
                """, daemonExtra: "allow-world = true\nmode = \"0664\"")
        var info = stat()
        #expect(stat("/dev/shm/\(daemon.prefix).pub", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o664)
        #expect(stat("/dev/shm/sem.\(daemon.prefix).pub.empty", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o664)
        #expect(
            daemon.logs("<4>channel open to every local user (allow-world = true): pub (mode 0664): any user on this host can read its messages"),
            "\(daemon.child.stderr)")
        #expect(!daemon.child.stderr.contains("private (mode"))
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
