#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing a byte stream (a command's standard input and output) through `Syscall`,
/// so that `EINTR` is handled where ShmKit handles it everywhere else: retried, and given up only
/// once a termination signal is pending (see `ClientSignals`). Bytes are moved as they are,
/// never decoded.
package enum StreamIO {
    /// Reads what `fd` has, up to `buffer.count` bytes, blocking until there is something.
    ///
    /// - Parameter name: the stream's name for errors (`standard input`).
    /// - Returns: how many bytes were read; 0 at the end of the stream.
    /// - Throws: `SystemCallError` for `read` naming `name` (`EINTR` once a termination signal
    ///   is pending).
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, name: String) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try Syscall.value(call: "read", object: name) { Glibc.read(fd, base, buffer.count) }
    }

    /// Writes all of `bytes` to `fd`, however many `write` calls that takes.
    ///
    /// - Parameter name: the stream's name for errors (`standard output`).
    /// - Throws: `SystemCallError` for `write` naming `name` (`EPIPE` when nobody reads the pipe
    ///   any more and SIGPIPE is ignored; `EINTR` once a termination signal is pending).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        try Syscall.writeAll(fd, bytes, object: name)
    }
}
