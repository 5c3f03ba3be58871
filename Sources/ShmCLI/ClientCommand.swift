import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// What the command-line clients share: printing an error the way a user can act on it and
/// turning it into a sysexits code.
package enum ClientCommand {
    /// Prints `error` as `program: message` on stderr and returns the exit code for it. An error
    /// that a termination signal caused (an interrupted wait or read) is not one: the process
    /// ends by that signal instead (`ClientSignals`).
    package static func report(_ error: Error, program: String) -> Int32 {
        ClientSignals.endIfTerminating()
        let (message, code): (String, SysExit)
        switch error {
        case let error as ChannelError: (message, code) = (error.description, error.exitCode)
        case let error as SystemCallError: (message, code) = (error.description, .osError)
        default: (message, code) = ("\(error)", .osError)
        }
        writeAll(STDERR_FILENO, "\(program): \(message)\n")
        return code.rawValue
    }

    /// Writes all of `text` to `fd` (see `StreamIO.writeAll`).
    ///
    /// - Returns: `false` when the descriptor refuses (a closed pipe).
    @discardableResult
    package static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes all of `bytes` to `fd`; see `writeAll(_:_:)`.
    @discardableResult
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        // A literal name: this runs once per message in shm-reader, and the name is for errors only.
        (try? StreamIO.writeAll(fd, bytes, name: fd == STDOUT_FILENO ? "standard output" : "standard error")) != nil
    }
}
