import ShmKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Changes the mode and group of objects that already exist, for a reload that only changed a
/// channel's permissions. Works on the backing files in /dev/shm through a descriptor (open,
/// fchmod, fchown), so a name swapped underneath is never followed (`O_NOFOLLOW`).
///
/// Attached clients keep their access: permissions are checked when a client opens an object.
enum LivePermissions {
    /// - Throws: `SystemCallError` naming the call and the object, for the first that failed.
    static func apply(_ permissions: ObjectPermissions, to objects: [IPCObject]) throws {
        for object in objects {
            let path = object.path
            let fd = try call("open", path) { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(fd) }
            _ = try call("fchmod", path) { fchmod(fd, permissions.mode) }
            if let group = permissions.group {
                _ = try call("fchown", path) { fchown(fd, uid_t.max, group) }
            }
        }
    }

    private static func call(_ name: String, _ object: String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno(rawValue: errno)
            if error == .interrupted { continue }
            throw SystemCallError(call: name, object: object, errno: error)
        }
    }
}
