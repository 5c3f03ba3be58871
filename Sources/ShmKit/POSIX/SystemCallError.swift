import SystemPackage

/// A system call that failed: the call's name, the named object it acted on, and the `Errno` it set.
///
/// Every wrapper in ShmKit throws this, so a log line or an error message always says which call
/// failed on which object (`shm_open(/shmd.demo): Permission denied`).
public struct SystemCallError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The libc function that failed, e.g. `"sem_open"`.
    public var call: String
    /// The object it acted on: a POSIX IPC name (`/shmd.demo`) or a path.
    public var object: String
    /// The error number the call set.
    public var errno: Errno

    /// The error of `call` failing on `object` with `errno`: what ShmKit's system-call wrappers
    /// throw, and what a program may throw to report a call of its own the same way.
    public init(call: String, object: String, errno: Errno) {
        self.call = call
        self.object = object
        self.errno = errno
    }

    /// `call(object): message (errno N)`, e.g. `shm_open(/shmd.demo): Permission denied (errno 13)`.
    public var description: String {
        "\(call)(\(object)): \(errno.description) (errno \(errno.rawValue))"
    }
}
