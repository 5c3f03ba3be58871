#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The one place where ShmKit turns a libc return value into a thrown `SystemCallError` and
/// retries `EINTR`. Every wrapper goes through here so that an interrupted call is never
/// reported as a failure and never silently dropped. Once a termination signal is pending
/// (`ClientSignals`), `EINTR` is thrown instead: the process is ending, and a blocking call must
/// let the operation around it unwind.
enum Syscall {
    /// Calls `body` until it returns something other than -1 or fails with an errno other
    /// than `EINTR` (or with `EINTR` once a termination signal is pending).
    ///
    /// - Throws: `SystemCallError` naming `call` and `object`.
    @inline(__always)
    static func value<I: FixedWidthInteger>(
        _ call: String, _ object: String, _ body: () -> I
    ) throws -> I {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno(rawValue: Glibc.errno)
            if error == .interrupted && !ClientSignals.isTerminating { continue }
            throw SystemCallError(call: call, object: object, errno: error)
        }
    }

    /// Like `value(_:_:_:)` for calls whose only useful result is success.
    @inline(__always)
    static func check(_ call: String, _ object: String, _ body: () -> Int32) throws {
        _ = try value(call, object, body)
    }

    /// The errno of the call that just failed, for the calls that return a sentinel pointer
    /// (`SEM_FAILED`, `MAP_FAILED`) instead of -1 and are never interrupted.
    static func lastError(_ call: String, _ object: String) -> SystemCallError {
        SystemCallError(call: call, object: object, errno: Errno(rawValue: Glibc.errno))
    }
}
