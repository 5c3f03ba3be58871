#if canImport(Glibc)
import Glibc
#endif

/// What the file system says about an object in /dev/shm: its type, owner, group, mode and
/// size. /dev/shm is writable by every user, so shmd trusts nothing it finds there until this
/// says the object is one shmd's own user made, with no wider access than the config gives.
package struct ObjectOwnership: Equatable, Sendable, CustomStringConvertible {
    package enum FileType: Equatable, Sendable {
        case regular
        /// A symbolic link, with where it points.
        case symbolicLink(target: String)
        /// A directory, FIFO, socket or device.
        case other
    }

    package let type: FileType
    package let owner: uid_t
    package let group: gid_t
    /// Permission bits, with setuid, setgid and sticky (0o7777).
    package let mode: mode_t
    package let size: Int

    init(_ info: stat, symlinkTarget: String? = nil) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFLNK: type = .symbolicLink(target: symlinkTarget ?? "?")
        default: type = .other
        }
        owner = info.st_uid
        group = info.st_gid
        mode = info.st_mode & 0o7777
        size = Int(info.st_size)
    }

    /// The object at `path` as it is, a symbolic link not followed (`lstat`).
    ///
    /// - Returns: `nil` when there is nothing at `path`.
    /// - Throws: `SystemCallError` from `lstat` for anything but `ENOENT`.
    package static func of(path: String) throws -> ObjectOwnership? {
        var info = stat()
        do {
            try Syscall.check(call: "lstat", object: path) { lstat(path, &info) }
        } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
            return nil
        }
        guard info.st_mode & S_IFMT == S_IFLNK else { return ObjectOwnership(info) }
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &target, target.count - 1)
        let text = length >= 0 ? String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return ObjectOwnership(info, symlinkTarget: text)
    }

    /// "owned by alice (uid 1001), group staff (gid 50), mode 0666", or what the object is
    /// instead of a file.
    package var description: String {
        let owned = "owned by \(Self.userName(owner)), group \(Self.groupName(group)), mode \(Self.octal(mode))"
        switch type {
        case .regular: return owned
        case let .symbolicLink(target): return "a symbolic link to \(target), \(owned)"
        case .other: return "not a regular file, \(owned)"
        }
    }

    /// Why a process running as `user` with `defaultGroup` must not take this object for one it
    /// made with `permissions`, or `nil` when it may: a regular file, owned by `user`, in the
    /// configured group (or `defaultGroup` when none is configured), with no permission bit the
    /// config does not give.
    package func refusal(for permissions: ObjectPermissions, user: uid_t = geteuid(), defaultGroup: gid_t = getegid()) -> String? {
        guard case .regular = type else { return "it is \(description)" }
        if owner != user {
            return "it is \(description), not by shmd's user \(Self.userName(user))"
        }
        let wider = mode & ~permissions.mode
        if wider != 0 {
            return "it is \(description), wider than the configured mode \(Self.octal(permissions.mode))"
        }
        let expected = permissions.group ?? defaultGroup
        if group != expected && mode & 0o070 != 0 {
            return "it is \(description), not in the configured group \(Self.groupName(expected))"
        }
        return nil
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }

    static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return "gid \(gid)" }
        return "\(String(cString: name)) (gid \(gid))"
    }
}
