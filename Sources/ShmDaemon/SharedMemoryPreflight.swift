#if canImport(Glibc)
import Glibc
#endif

/// Checks before creating anything that /dev/shm can hold every channel, so that a full tmpfs
/// is an error at start and never a SIGBUS in a client later.
package enum SharedMemoryPreflight {
    /// - Throws: `DaemonError.insufficientSharedMemory`.
    package static func check(needed: Int, directory: String = "/dev/shm") throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return }
        let available = Int(info.f_bavail) * Int(info.f_frsize)
        if available < needed {
            throw DaemonError.insufficientSharedMemory(needed: needed, available: available)
        }
    }
}
