import Atomics
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The last JetStream stream sequence an in bridge wrote into its channel, in a file of 8 bytes
/// mapped shared (`STATE/NAME.sequence`).
///
/// Updating it is one store into the page cache, no system call, so it is done after every
/// message; a bridge killed at any instruction leaves in the file either the sequence of the
/// last message it committed to the channel or the one before it. The restarted bridge drops
/// every redelivered message up to the recorded sequence as a duplicate, and fills a gap above
/// it by reading the stream directly. A duplicate can reach the channel only if the bridge dies
/// between a commit and this store, a window of a few instructions; a host crash loses the
/// channel's contents anyway.
package final class SequenceFile {
    private let base: UnsafeMutableRawPointer
    /// The file's path.
    package let path: String

    /// Opens (or creates, mode 0600, holding 0) the file at `path`.
    ///
    /// - Throws: `SystemCallError` naming the call and the file.
    package init(path: String) throws {
        self.path = path
        let fd = try Syscall.value(call: "open", object: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        defer { close(fd) }
        var info = stat()
        try Syscall.check(call: "fstat", object: path) { fstat(fd, &info) }
        if info.st_size < 8 { try Syscall.check(call: "ftruncate", object: path) { ftruncate(fd, 8) } }
        guard let mapping = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapping != MAP_FAILED else {
            throw Syscall.lastError(call: "mmap", object: path)
        }
        base = mapping
    }

    deinit {
        munmap(base, 8)
    }

    private var word: UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// The recorded sequence; 0 before the first message.
    package var value: UInt64 {
        get { word.load(ordering: .relaxed) }
        set { word.store(newValue, ordering: .releasing) }
    }
}
