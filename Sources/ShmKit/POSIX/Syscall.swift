import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The one place where ShmKit (and shmd, shm-bench and the commands, through `package` access)
/// turns a libc return value into a thrown `SystemCallError`, retries `EINTR`, and writes a
/// buffer out in full. An interrupted call is never reported as a failure and never silently
/// dropped. Once a termination signal is pending (`ClientSignals`), `EINTR` is thrown instead:
/// the process is ending, and a blocking call must let the operation around it unwind.
package enum Syscall {
    /// Calls `body` until it returns something other than -1 or fails with an errno other
    /// than `EINTR` (or with `EINTR` once a termination signal is pending).
    ///
    /// - Parameters:
    ///   - call: the libc function `body` calls, for the error (`"shm_open"`).
    ///   - object: the name or path it acts on, for the error (`"/shmd.demo"`).
    /// - Returns: what `body` returned.
    /// - Throws: `SystemCallError` naming `call` and `object`.
    @inline(__always)
    package static func value<I: FixedWidthInteger>(
        call: String, object: String, _ body: () -> I
    ) throws -> I {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno(rawValue: Glibc.errno)
            if error == .interrupted && !ClientSignals.isTerminating { continue }
            throw SystemCallError(call: call, object: object, errno: error)
        }
    }

    /// Like `value(call:object:_:)`, for calls whose only useful result is success.
    @inline(__always)
    package static func check(call: String, object: String, _ body: () -> Int32) throws {
        _ = try value(call: call, object: object, body)
    }

    /// For the calls that return their error number instead of setting `errno` and returning -1
    /// (`posix_fallocate`, the `pthread_` functions): calls `body` until it returns something
    /// other than `EINTR`.
    ///
    /// - Throws: `SystemCallError` with the returned error number when it is not 0.
    package static func checkReturned(call: String, object: String, _ body: () -> Int32) throws {
        while true {
            let result = body()
            if result == 0 { return }
            if result == EINTR && !ClientSignals.isTerminating { continue }
            throw SystemCallError(call: call, object: object, errno: Errno(rawValue: result))
        }
    }

    /// Calls `body` until it does not fail with `EINTR`, and returns its result as it is: for
    /// the few calls whose failure is an answer rather than an error (`sem_trywait`'s `EAGAIN`,
    /// `kill(pid, 0)`'s `ESRCH`), on paths where building an error would cost.
    @inline(__always)
    package static func retryingInterrupts(_ body: () -> Int32) -> Int32 {
        while true {
            let result = body()
            if result != -1 || Glibc.errno != EINTR { return result }
        }
    }

    /// The errno of the call that just failed, for the calls that return a sentinel pointer
    /// (`SEM_FAILED`, `MAP_FAILED`) instead of -1 and are never interrupted.
    package static func lastError(call: String, object: String) -> SystemCallError {
        SystemCallError(call: call, object: object, errno: Errno(rawValue: Glibc.errno))
    }

    /// Writes all of `bytes` to `fd`, however many `write` calls that takes.
    ///
    /// - Parameter object: the descriptor's name for errors (`standard output`, a socket's path).
    /// - Throws: `SystemCallError` for `write` naming `object` (`EPIPE` when nobody reads a pipe
    ///   any more and SIGPIPE is ignored or blocked; `EINTR` once a termination signal is pending).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, object: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            // write(2) returns 0 only for a count of 0, which the loop never asks for.
            offset += try value(call: "write", object: object) { Glibc.write(fd, base + offset, bytes.count - offset) }
        }
    }

    /// Reads a small file (from /proc or /sys) whole, as text.
    ///
    /// - Returns: its contents, or `nil` when it cannot be opened or read (a process that is
    ///   gone: its /proc directory vanished).
    package static func readSmallFile(_ path: String) -> String? {
        guard let fd = try? value(call: "open", object: path, { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            guard
                let count = try? chunk.withUnsafeMutableBytes({ buffer in
                    try value(call: "read", object: path) { read(fd, buffer.baseAddress, buffer.count) }
                })
            else { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
