import ArgumentParser
import CShim
import ShmCLI

#if canImport(Glibc)
import Glibc
#endif

/// The terminal `shmctl watch` draws on: no echo and no line editing (so a `q` arrives at
/// once), on the alternate screen with the cursor hidden; `restore()` gives all of it back, on
/// every way out.
final class WatchTerminal {
    private var saved = termios()
    private var restored = false

    /// - Throws: `ValidationError` when standard input or output is not a terminal.
    init() throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("shmctl watch needs a terminal; from a script, use shmctl list --json or shmctl metrics")
        }
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw ValidationError("shmctl watch: tcgetattr: \(String(cString: strerror(errno)))") }
        var raw = saved
        // ISIG stays: Ctrl-C is SIGINT, which the watch reads from its signal descriptor.
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l")
    }

    deinit { restore() }

    /// Leaves the alternate screen, shows the cursor and puts the terminal's modes back.
    func restore() {
        guard !restored else { return }
        restored = true
        write("\u{1B}[?25h\u{1B}[?1049l")
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)
    }

    /// Rows and columns now (24 × 80 when the terminal does not say).
    var size: (rows: Int, columns: Int) {
        var rows: UInt16 = 0
        var columns: UInt16 = 0
        guard cshim_window_size(STDOUT_FILENO, &rows, &columns) == 0, rows > 0, columns > 0 else { return (24, 80) }
        return (Int(rows), Int(columns))
    }

    /// Draws `lines` from the top left, clearing what is left of each line and of the screen.
    func draw(_ lines: [String]) {
        let rows = size.rows
        write("\u{1B}[H" + lines.prefix(rows).map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    /// A terminal that went away ends the watch at its next read of the keyboard.
    private func write(_ text: String) {
        ClientCommand.writeAll(STDOUT_FILENO, text)
    }
}
