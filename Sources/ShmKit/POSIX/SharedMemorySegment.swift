import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One POSIX shared-memory object (`shm_open`), mapped read-write and shared into this process.
///
/// The mapping lives as long as the value: `deinit` unmaps it and closes the descriptor. Unlinking
/// the name is separate (`unlink(name:)`), as in POSIX: a mapping outlives its name.
///
/// `@unchecked Sendable`: every stored property is a constant set in `init` (the name, the
/// address, the size, the descriptor, the guard's handle), and `fstat` on the descriptor is
/// thread-safe. The mapped bytes are shared with other processes anyway; the layers above reach
/// them only through atomics or under a ticket.
package final class SharedMemorySegment: @unchecked Sendable {
    /// The POSIX IPC name, `/shmd.demo`.
    package let name: String
    /// Start of the mapping.
    package let base: UnsafeMutableRawPointer
    /// Length of the mapping in bytes (the object's size when it was mapped).
    package let size: Int
    private let descriptor: Int32
    private let guarded: MappingGuard

    private init(name: String, descriptor: Int32, size: Int) throws {
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw Syscall.lastError(call: "mmap", object: name)
        }
        self.name = name
        self.descriptor = descriptor
        self.base = address
        self.size = size
        // Anyone who may write the object may truncate it: see `MappingGuard`.
        self.guarded = MappingGuard(base: address, length: size)
    }

    deinit {
        guarded.release()
        munmap(base, size)
        Glibc.close(descriptor)
    }

    /// The object's size now (`fstat`): smaller than `size` once someone truncated it.
    ///
    /// - Throws: `SystemCallError` from `fstat`.
    package func currentSize() throws -> Int {
        var info = stat()
        try Syscall.check(call: "fstat", object: name) { fstat(descriptor, &info) }
        return Int(info.st_size)
    }

    /// The owner, group and mode of the object now (`fstat` on the open descriptor, so a name
    /// swapped in the meantime is never what is looked at).
    ///
    /// - Throws: `SystemCallError` from `fstat`.
    package func ownership() throws -> ObjectOwnership {
        var info = stat()
        try Syscall.check(call: "fstat", object: name) { fstat(descriptor, &info) }
        return ObjectOwnership(info)
    }

    /// Whether part of the mapping vanished under this process (the file was truncated while
    /// mapped), or the file is smaller than the mapping now.
    package var isTruncated: Bool {
        guarded.hasFaulted || ((try? currentSize()).map { $0 < size } ?? false)
    }

    /// Creates a new object of `size` bytes that must not exist yet (`O_CREAT|O_EXCL`), applies
    /// `permissions`, reserves its memory in tmpfs and maps it, zero-filled.
    ///
    /// Reserving with `posix_fallocate` makes a full /dev/shm fail here with `ENOSPC` rather
    /// than kill a client with SIGBUS on its first write.
    ///
    /// - Throws: `SystemCallError` for the call that failed (`EEXIST` if the name is taken);
    ///   nothing is left behind on failure.
    package static func create(name: String, size: Int, permissions: ObjectPermissions) throws -> SharedMemorySegment {
        let fd = try Syscall.value(call: "shm_open", object: name) { shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600) }
        do {
            try permissions.apply(toDescriptor: fd, object: name)
            try Syscall.check(call: "ftruncate", object: name) { ftruncate(fd, off_t(size)) }
            try reserve(fd: fd, size: size, name: name)
            return try SharedMemorySegment(name: name, descriptor: fd, size: size)
        } catch {
            Glibc.close(fd)
            shm_unlink(name)
            throw error
        }
    }

    /// Opens an existing object read-write and maps all of it.
    ///
    /// - Throws: `SystemCallError` (`ENOENT` when there is no such object, `EACCES` when the
    ///   caller may not open it).
    package static func open(name: String) throws -> SharedMemorySegment {
        let fd = try Syscall.value(call: "shm_open", object: name) { shm_open(name, O_RDWR | O_CLOEXEC, 0) }
        do {
            var info = stat()
            try Syscall.check(call: "fstat", object: name) { fstat(fd, &info) }
            guard info.st_size > 0 else {
                throw SystemCallError(call: "mmap", object: name, errno: .invalidArgument)
            }
            return try SharedMemorySegment(name: name, descriptor: fd, size: Int(info.st_size))
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Removes the name. Mappings in every process stay valid until they are unmapped.
    ///
    /// - Throws: `SystemCallError` (`ENOENT` when there is no such name).
    package static func unlink(name: String) throws {
        try Syscall.check(call: "shm_unlink", object: name) { shm_unlink(name) }
    }

    /// Whether an object of that name exists now.
    package static func exists(name: String) -> Bool {
        access("/dev/shm" + name, F_OK) == 0
    }

    /// True once the object's name was removed (its link count dropped to zero): the owner has
    /// gone and the channel is dead even if nobody marked it closing.
    package var isUnlinked: Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && info.st_nlink == 0
    }

    private static func reserve(fd: Int32, size: Int, name: String) throws {
        try Syscall.checkReturned(call: "posix_fallocate", object: name) { posix_fallocate(fd, 0, off_t(size)) }
    }
}
