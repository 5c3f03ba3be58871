#if canImport(Glibc)
import Glibc
#endif

/// A named POSIX IPC object in /dev/shm: a shared-memory segment or a named semaphore.
package enum IPCObject: Equatable, Hashable, Sendable, CustomStringConvertible {
    case segment(String)
    case semaphore(String)

    /// The POSIX IPC name, `/shmd.demo`.
    package var name: String {
        switch self {
        case let .segment(name), let .semaphore(name): return name
        }
    }

    /// The file that backs it, `/dev/shm/shmd.demo` or `/dev/shm/sem.shmd.demo.empty`.
    package var path: String {
        switch self {
        case let .segment(name): return "/dev/shm" + name
        case let .semaphore(name): return NamedSemaphore.filePath(name)
        }
    }

    /// Whether anything is at `path`, a dangling symbolic link included.
    package var exists: Bool { (try? ownership()) != nil }

    /// The file at `path` as it is (`lstat`: a symbolic link is reported, never followed), or
    /// `nil` when there is none.
    ///
    /// - Throws: `SystemCallError` from `lstat` for anything but `ENOENT`.
    package func ownership() throws -> ObjectOwnership? {
        try ObjectOwnership.of(path: path)
    }

    /// Removes the name.
    ///
    /// - Throws: `SystemCallError` (`ENOENT` when it is already gone).
    package func unlink() throws {
        switch self {
        case let .segment(name): try SharedMemorySegment.unlink(name: name)
        case let .semaphore(name): try NamedSemaphore.unlink(name: name)
        }
    }

    /// Gives the existing object `permissions` (mode, and group when set), for a reload that
    /// changed only those. Works on the backing file through a descriptor (open, fchmod, fchown)
    /// so that a name swapped underneath is never followed (`O_NOFOLLOW`). Attached clients keep
    /// their access: permissions are checked when an object is opened.
    ///
    /// - Throws: `SystemCallError` naming the call and the file.
    package func apply(_ permissions: ObjectPermissions) throws {
        let file = path
        let fd = try Syscall.value(call: "open", object: file) { open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        try permissions.apply(toDescriptor: fd, object: file)
    }

    package var description: String { path }
}
