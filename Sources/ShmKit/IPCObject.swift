/// A named POSIX IPC object in /dev/shm: a shared-memory segment or a named semaphore.
public enum IPCObject: Equatable, Hashable, Sendable, CustomStringConvertible {
    case segment(String)
    case semaphore(String)

    /// The POSIX IPC name, `/shmd.demo`.
    public var name: String {
        switch self {
        case let .segment(name), let .semaphore(name): return name
        }
    }

    /// The file that backs it, `/dev/shm/shmd.demo` or `/dev/shm/sem.shmd.demo.empty`.
    public var path: String {
        switch self {
        case let .segment(name): return "/dev/shm" + name
        case let .semaphore(name): return NamedSemaphore.filePath(name)
        }
    }

    public var exists: Bool {
        switch self {
        case let .segment(name): return SharedMemorySegment.exists(name: name)
        case let .semaphore(name): return NamedSemaphore.exists(name: name)
        }
    }

    /// Removes the name.
    ///
    /// - Throws: `SystemCallError` (`ENOENT` when it is already gone).
    public func unlink() throws {
        switch self {
        case let .segment(name): try SharedMemorySegment.unlink(name: name)
        case let .semaphore(name): try NamedSemaphore.unlink(name: name)
        }
    }

    public var description: String { path }
}
