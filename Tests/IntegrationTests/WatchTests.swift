import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// `shmctl watch` in a real terminal: tmux runs it (send-keys, capture-pane, resize-window)
/// against a live channel, on a tmux server of the test's own (`-L`).
@Suite("shmctl watch in tmux: live rates, resize, q restores the terminal")
struct WatchTests {
    final class Tmux {
        let socket = "shmctl-watch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        @discardableResult
        func run(_ arguments: [String]) throws -> Finished {
            try TestSupport.run("/usr/bin/tmux", ["-L", socket] + arguments, seconds: 20)
        }

        /// The server, run in the foreground (`-D`) as the test's child: a daemonized one would
        /// keep the test's pipes open, and reading them would never end.
        private var server: ChildProcess?

        /// Starts the server, then session `w` running `command`.
        func start(_ command: String, columns: Int, rows: Int) throws {
            server = try ChildProcess("/usr/bin/tmux", ["-L", socket, "-D"])
            let path = (ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp") + "/tmux-\(getuid())/\(socket)"
            guard waitUntil(seconds: 10, { FileManager.default.fileExists(atPath: path) }) else {
                throw TestFailure("the tmux server made no socket \(path): \(server?.stderr ?? "")")
            }
            let started = try run(["new-session", "-d", "-s", "w", "-x", "\(columns)", "-y", "\(rows)", command])
            guard started.status == 0 else { throw TestFailure("tmux new-session failed: \(started)") }
        }

        var screen: String { (try? run(["capture-pane", "-p", "-t", "w"]).stdout) ?? "" }

        func pane(_ format: String) -> String {
            ((try? run(["list-panes", "-t", "w", "-F", format]).stdout) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        deinit {
            _ = try? run(["kill-server"])
            server?.terminate()
        }
    }

    /// The messages/s written that the screen shows for the channel, or `nil` when it shows none.
    static func rateIn(_ screen: String) -> Double? {
        guard let line = screen.split(separator: "\n").first(where: { $0.hasPrefix("  in  ") }) else { return nil }
        let field = line.dropFirst(6).prefix { $0 != " " }
        let scale: Double = field.hasSuffix("M") ? 1e6 : field.hasSuffix("k") ? 1e3 : 1
        return Double(field.trimmingCharacters(in: CharacterSet(charactersIn: "kM"))).map { $0 * scale }
    }

    @Test("the rates change as traffic starts and stops, a resize redraws at the new width, and q quits with the terminal restored")
    func watch() throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "live"
                slots = 16
                slot-size = 64
                """)
        defer { _ = daemon.stop() }
        let tmux = Tmux()
        // A shell around the watch keeps the pane alive after it exits, to look at the terminal.
        let command = "\(Executables.path("shmctl")) watch live --prefix \(daemon.prefix) --interval 0.3; echo watch-exited=$?; sleep 60"
        try tmux.start(command, columns: 150, rows: 30)
        #expect(waitUntil(seconds: 10) { tmux.screen.contains("\(daemon.prefix).live  ring/fast 16×64 B") }, "\(tmux.screen)")
        #expect(waitUntil(seconds: 10) { Self.rateIn(tmux.screen) == 0 }, "\(tmux.screen)")
        #expect(tmux.pane("#{alternate_on}") == "1")

        // Traffic: a writer fed from `yes`, a reader taking everything.
        let shell = "yes traffic | \(Executables.path("shm-writer")) live --prefix \(daemon.prefix)"
        let writer = try ChildProcess("/bin/sh", ["-c", shell])
        defer { writer.terminate() }
        let reader = try daemon.startClient("shm-reader", ["live"])
        defer { reader.terminate() }
        #expect(waitUntil(seconds: 10) { (Self.rateIn(tmux.screen) ?? 0) > 1000 }, "\(tmux.screen)")
        #expect(waitUntil(seconds: 10) { tmux.screen.contains("writers 1: ") && tmux.screen.contains("readers 1: ") }, "\(tmux.screen)")
        writer.terminate()
        _ = try run("/usr/bin/pkill", ["-KILL", "-f", "shm-writer live --prefix \(daemon.prefix)"])
        #expect(waitUntil(seconds: 10) { Self.rateIn(tmux.screen) == 0 }, "the rate did not fall back to 0: \(tmux.screen)")

        // Narrower: the next draw cuts each line to the new width.
        try tmux.run(["resize-window", "-t", "w", "-x", "40", "-y", "20"])
        #expect(
            waitUntil(seconds: 5) {
                let lines = tmux.screen.split(separator: "\n")
                return lines.contains { $0.hasPrefix("\(daemon.prefix).live") } && lines.allSatisfy { $0.count <= 40 }
            }, "\(tmux.screen)")

        try tmux.run(["send-keys", "-t", "w", "q"])
        #expect(waitUntil(seconds: 10) { tmux.screen.contains("watch-exited=0") }, "\(tmux.screen)")
        #expect(tmux.pane("#{alternate_on} #{cursor_flag}") == "0 1", "the terminal was not restored")
    }
}
