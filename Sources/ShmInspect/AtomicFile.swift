import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// A file replaced whole or not at all, for readers that may open it at any moment (node
/// exporter's textfile collector reads every `*.prom` file of its folder at each scrape).
///
/// The contents go to a temporary file in the same folder (`mkstemp(3)`; a rename across file
/// systems would be a copy), which is flushed to disk (`fsync(2)`) and then renamed over the
/// target (`rename(2)`, atomic within a file system); the folder is flushed last, so that the
/// rename itself survives a crash. A reader sees the old file or the new one, never a part.
package enum AtomicFile {
    /// Replaces the file at `path` with `contents`, creating it when it does not exist.
    ///
    /// The temporary file is `.NAME.XXXXXX` beside it: hidden, and without the target's suffix,
    /// so that a collector that reads `*.prom` never picks it up. It is removed on every failure.
    ///
    /// - Parameters:
    ///   - path: the file to replace; its folder must exist.
    ///   - contents: the new contents, byte for byte.
    ///   - mode: the new file's permissions (not masked by the umask).
    /// - Throws: `AtomicFileError` naming `path`, the call that failed, and the fix.
    package static func replace(_ path: String, with contents: [UInt8], mode: mode_t = 0o644) throws {
        let (folder, name) = split(path)
        let pattern = "\(folder.hasSuffix("/") ? folder : folder + "/").\(name).XXXXXX"
        var template = Array(pattern.utf8CString)
        do {
            let fd = try Syscall.value(call: "mkstemp", object: pattern) { mkstemp(&template) }
            let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            do {
                defer { close(fd) }
                try contents.withUnsafeBytes { bytes in try Syscall.writeAll(fd, bytes, object: temporary) }
                try Syscall.check(call: "fchmod", object: temporary) { fchmod(fd, mode) }
                try Syscall.check(call: "fsync", object: temporary) { fsync(fd) }
                try Syscall.check(call: "rename", object: "\(temporary) to \(path)") { rename(temporary, path) }
            } catch {
                unlink(temporary)
                throw error
            }
            try syncFolder(folder)
        } catch let error as SystemCallError {
            throw AtomicFileError(file: path, error)
        }
    }

    /// `path`'s folder (`.` for a bare name) and its last component.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// Flushes `folder`'s entries: a rename is durable only once its folder is.
    private static func syncFolder(_ folder: String) throws {
        let fd = try Syscall.value(call: "open", object: folder) { open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try Syscall.check(call: "fsync", object: folder) { fsync(fd) }
    }
}
