import Atomics
import CShim
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A POSIX named semaphore (`sem_open`), the blocking primitive of every channel.
///
/// `deinit` closes this process's handle; `unlink(name:)` removes the name.
///
/// `@unchecked Sendable`: every stored property is a constant set in `init`, and the
/// `sem_wait`/`sem_post`/`sem_getvalue` family is thread-safe (POSIX requires it), so any
/// thread may use one handle; `deinit` runs once nobody holds it.
package final class NamedSemaphore: @unchecked Sendable {
    /// The POSIX IPC name, `/shmd.demo.empty`.
    package let name: String
    private let handle: UnsafeMutablePointer<sem_t>
    private let guarded: MappingGuard

    private init(name: String, handle: UnsafeMutablePointer<sem_t>) {
        self.name = name
        self.handle = handle
        // glibc maps the semaphore's file (one page) and hands out that address: anyone who may
        // write the file may also truncate it, so the page is guarded like a segment.
        self.guarded = MappingGuard(base: UnsafeMutableRawPointer(handle), length: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    deinit {
        guarded.release()
        sem_close(handle)
    }

    /// Whether the semaphore's page vanished under this process (its file was truncated): from
    /// then on its operations reach nobody else.
    package var isTruncated: Bool { guarded.hasFaulted }

    /// Creates a semaphore that must not exist yet, with initial `value` and exactly `permissions`.
    ///
    /// - Throws: `SystemCallError` (`EEXIST` when the name is taken); nothing is left behind on failure.
    package static func create(name: String, value: UInt32, permissions: ObjectPermissions) throws -> NamedSemaphore {
        guard let handle = sem_open(name, O_CREAT | O_EXCL, 0o600, value) else {
            throw Syscall.lastError(call: "sem_open", object: name)
        }
        let semaphore = NamedSemaphore(name: name, handle: handle)
        do {
            // sem_open applies the umask; set the bits on the backing file so it does not decide.
            try IPCObject.semaphore(name).apply(permissions)
        } catch {
            sem_unlink(name)
            throw error
        }
        return semaphore
    }

    /// Opens an existing semaphore.
    ///
    /// - Throws: `SystemCallError` (`ENOENT`, `EACCES`).
    package static func open(name: String) throws -> NamedSemaphore {
        guard let handle = sem_open(name, 0, 0, 0) else {
            throw Syscall.lastError(call: "sem_open", object: name)
        }
        return NamedSemaphore(name: name, handle: handle)
    }

    /// Removes the name; processes that have it open keep a working semaphore.
    ///
    /// - Throws: `SystemCallError` (`ENOENT` when there is no such name).
    package static func unlink(name: String) throws {
        try Syscall.check(call: "sem_unlink", object: name) { sem_unlink(name) }
    }

    /// Whether a semaphore of that name exists now.
    package static func exists(name: String) -> Bool {
        access(filePath(name), F_OK) == 0
    }

    /// Where glibc keeps the semaphore: `/dev/shm/sem.` followed by the name without its '/'.
    package static func filePath(_ name: String) -> String {
        "/dev/shm/sem." + name.dropFirst()
    }

    /// Decrements the semaphore, blocking until it is positive or `deadline` passes.
    /// A `nil` deadline waits forever. Signals do not end the wait, except a termination signal
    /// `ClientSignals` handles during an operation.
    ///
    /// - Returns: `true` when decremented, `false` when the deadline passed first.
    /// - Throws: `SystemCallError` for anything but a timeout (`EINTR` once a termination signal
    ///   is pending, without waiting).
    package func wait(until deadline: Deadline?) throws -> Bool {
        // A signal that came before the call cannot interrupt it: look first (one between this
        // look and the call is seen when the slice the caller sleeps in ends).
        if ClientSignals.isTerminating { throw SystemCallError(call: "sem_wait", object: name, errno: .interrupted) }
        guard let deadline else {
            try Syscall.check(call: "sem_wait", object: name) { sem_wait(handle) }
            return true
        }
        var spec = deadline.timespec
        do {
            try Syscall.check(call: "sem_clockwait", object: name) { cshim_sem_clockwait(handle, CLOCK_MONOTONIC, &spec) }
            return true
        } catch let error as SystemCallError where error.errno == .timedOut {
            return false
        }
    }

    /// Decrements the semaphore if it is positive, without blocking.
    ///
    /// - Returns: whether it was decremented.
    package func tryWait() -> Bool {
        Syscall.retryingInterrupts { sem_trywait(handle) } == 0
    }

    /// Increments the semaphore, waking one waiter. At SEM_VALUE_MAX it stays there: every
    /// waiter already has a unit to take, so the post carries no news.
    ///
    /// - Throws: `SystemCallError` for anything but `EOVERFLOW`.
    package func post() throws {
        do {
            try Syscall.check(call: "sem_post", object: name) { sem_post(handle) }
        } catch let error as SystemCallError where error.errno == .overflow {
        }
    }

    /// The fast protocol's wake-up: posts when a waiter has announced itself in `waiting` and no
    /// post is pending already. The full fence orders the caller's publish or free before the
    /// look at `waiting` (see `FastRing`). A pending post (value > 0) wakes a waiter that then
    /// checks again and passes the wake-up on if there is more; not stacking posts keeps a
    /// waiter that died counted from turning every message into a system call.
    ///
    /// - Throws: `SystemCallError` from `sem_post`.
    @inline(__always)
    package func wakeAnnounced(_ waiting: UnsafeAtomic<UInt32>) throws {
        try Self.wakeAnnounced(waiting) { self }
    }

    /// `wakeAnnounced(_:)` for a semaphore that `semaphore` fetches only when a waiter is
    /// announced: on the hot path, where nobody waits, no object is touched, so there is no
    /// retain and release (atomic read-modify-writes) of it.
    @inline(__always)
    package static func wakeAnnounced(_ waiting: UnsafeAtomic<UInt32>, _ semaphore: () -> NamedSemaphore) throws {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waiting.load(ordering: .relaxed) != 0 { try semaphore().postUnlessPending() }
    }

    @inline(never)
    private func postUnlessPending() throws {
        if value <= 0 { try post() }
    }

    /// The current value (a snapshot: it may change at once).
    package var value: Int {
        var value: Int32 = 0
        sem_getvalue(handle, &value)
        return Int(value)
    }
}
