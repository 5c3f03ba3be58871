import ShmKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads the text of a config file, refusing anything that is not a regular file of UTF-8 text
/// of sensible size, and saying precisely why.
///
/// It opens the file itself, `O_RDONLY|O_CLOEXEC|O_NONBLOCK` (a FIFO opens at once instead of
/// waiting for a writer), and looks at what it opened with `fstat`, so the check and the read
/// are of the same file. Symbolic links are followed: `/etc/shmd/shmd.toml` may be one.
/// `EINTR` is retried in one place, swift-system's `FileDescriptor` calls.
package enum ConfigFileReader {
    /// The largest config read: far beyond any real one (a channel takes a few lines), small
    /// enough that a wrong path (a log, an image) is refused before it is parsed.
    static let sizeLimit = 1 << 20

    /// Why a file cannot be read as a config.
    package enum Failure: Error, Equatable {
        case notFound(danglingLinkTo: String?)
        case symlinkLoop
        case notADirectoryOnPath
        case permissionDenied(user: String, uid: uid_t, group: String)
        case notRegular(FileType)
        /// `size` is `nil` when the file grew past the limit while it was read.
        case tooLarge(size: Int?)
        case empty
        case notUTF8(offset: Int, line: Int)
        case system(SystemCallError)

        /// The line to blame, when the failure is at one.
        package var line: Int? {
            if case let .notUTF8(_, line) = self { return line }
            return nil
        }

        /// Why, ending with the fix; `path` is the file, for commands in the fix.
        package func reason(path: String) -> String {
            switch self {
            case .notFound(nil):
                return "cannot read the file: no such file"
            case let .notFound(target?):
                return "cannot read the file: no such file (it is a symbolic link to '\(target)', which does not exist)"
            case .symlinkLoop:
                return "cannot read the file: too many levels of symbolic links (a symlink loop); "
                    + "see where it leads with `namei -l \(path)` and point it at the real file"
            case .notADirectoryOnPath:
                return "cannot read the file: a component of the path is not a directory (`namei -l \(path)`)"
            case let .permissionDenied(user, uid, group):
                return "cannot read the file: permission denied: shmd runs as user \(user) (uid \(uid)), which may not read it "
                    + "or search a directory on its path; give that user read access (e.g. `chgrp \(group) \(path) && chmod 0640 \(path)`)"
            case let .notRegular(type):
                return "cannot read the file: \(Self.describe(type)), not a regular file: give the path of the TOML file itself"
            case let .tooLarge(size):
                let shown = size.map { "is \($0) bytes" } ?? "grew while being read to"
                return "cannot read the file: it \(shown), more than the \(ConfigFileReader.sizeLimit >> 20) MiB "
                    + "(\(ConfigFileReader.sizeLimit) bytes) a config may be: is it the right file?"
            case .empty:
                return "the file is empty: a config has at least one [[channel]] table (the shipped shmd.toml documents every key)"
            case let .notUTF8(offset, _):
                return "the file is not UTF-8 text, as TOML must be: invalid byte at offset \(offset); "
                    + "convert it (e.g. `iconv -t UTF-8`) or check that it is the right file"
            case let .system(error):
                return "cannot read the file: \(error)"
            }
        }

        private static func describe(_ type: FileType) -> String {
            switch type {
            case .directory: return "is a directory"
            case .fifo: return "is a FIFO"
            case .characterSpecial: return "is a character device"
            case .blockSpecial: return "is a block device"
            case .socket: return "is a socket"
            default: return "is a special file (type \(type.rawValue))"
            }
        }
    }

    /// Whether something is at `path`, even a dangling or looping symbolic link: only then is a
    /// missing default config replaced by the built-in one. Anything else present is read and,
    /// if it cannot be, refused with the reason.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 || errno != ENOENT
    }

    /// The text of the regular file at `path`.
    ///
    /// - Throws: `Failure`.
    package static func read(path: String) throws(Failure) -> String {
        let fd: FileDescriptor
        do {
            fd = try call("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking]) }
        } catch {
            throw openFailure(error, path: path)
        }
        defer { try? fd.close() }

        let info: Stat
        do {
            info = try call("fstat", path) { try fd.stat() }
        } catch {
            throw .system(error)
        }
        guard info.type == .regular else { throw .notRegular(info.type) }
        guard info.size <= Int64(sizeLimit) else { throw .tooLarge(size: Int(info.size)) }

        let bytes = try readAll(fd, path: path)
        guard !bytes.isEmpty else { throw .empty }
        if let offset = firstInvalidUTF8(bytes) {
            throw .notUTF8(offset: offset, line: 1 + bytes[..<offset].count(where: { $0 == UInt8(ascii: "\n") }))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads to the end, but never more than one chunk past `sizeLimit`: the file may have
    /// grown since `fstat`.
    private static func readAll(_ fd: FileDescriptor, path: String) throws(Failure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= sizeLimit {
            let count: Int
            do {
                count = try call("read", path) { try chunk.withUnsafeMutableBytes { try fd.read(into: $0) } }
            } catch {
                throw .system(error)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
        throw .tooLarge(size: nil)
    }

    /// Runs one swift-system call (which retries `EINTR` itself), turning its `Errno` into a
    /// `SystemCallError` that names the call and the file.
    private static func call<T>(_ name: String, _ path: String, _ body: () throws -> T) throws(SystemCallError) -> T {
        do {
            return try body()
        } catch let error as Errno {
            throw SystemCallError(call: name, object: path, errno: error)
        } catch {
            // swift-system throws nothing but Errno; should that change, still fail as an I/O error.
            throw SystemCallError(call: name, object: path, errno: .ioError)
        }
    }

    private static func openFailure(_ failure: SystemCallError, path: String) -> Failure {
        switch failure.errno {
        case .noSuchFileOrDirectory:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(path, &target, target.count - 1)
            return .notFound(danglingLinkTo: length > 0 ? String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil)
        case .tooManySymbolicLinkLevels:
            return .symlinkLoop
        case .notDirectory:
            return .notADirectoryOnPath
        case .permissionDenied:
            let uid = geteuid()
            let gid = getegid()
            let user = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "#\(uid)"
            let group = getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)"
            return .permissionDenied(user: user, uid: uid, group: group)
        case .noSuchAddressOrDevice:
            // open(2) says ENXIO for a socket, or a device without a driver.
            var info = stat()
            if stat(path, &info) == 0 { return .notRegular(FileType(rawValue: info.st_mode & S_IFMT)) }
            return .system(failure)
        default:
            return .system(failure)
        }
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
