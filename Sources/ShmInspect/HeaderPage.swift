import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// A copy of a segment's header page, read with `pread(2)` rather than mapped: `shmctl gc`
/// decides from it, and needs neither write access nor a mapping of a segment it may remove.
package final class HeaderPage {
    private let bytes: UnsafeMutableRawPointer

    /// A view of the copy (it never changes: it is a copy).
    package var header: ChannelHeader { ChannelHeader(base: bytes) }

    /// Reads the header page of the file at `path`.
    ///
    /// - Returns: `nil` when it is not a regular file of at least a header page.
    package init?(path: String) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) >= Layout.headerSize else { return nil }
        bytes = .allocate(byteCount: Layout.headerSize, alignment: 64)
        var done = 0
        while done < Layout.headerSize {
            let start = done
            guard let got = try? Syscall.value(call: "pread", object: path, { pread(fd, bytes + start, Layout.headerSize - start, off_t(start)) }),
                got > 0
            else {
                bytes.deallocate()
                return nil
            }
            done += got
        }
    }

    deinit { bytes.deallocate() }
}
