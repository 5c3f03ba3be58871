#if canImport(Glibc)
import Glibc
#endif

/// Owner-group and mode bits for the objects shmd creates, applied with fchmod/fchown after
/// creation so that the process umask never decides who may attach.
package struct ObjectPermissions: Equatable, Sendable {
    /// Permission bits, e.g. 0o660. Never more than 0o777.
    package var mode: mode_t
    /// Group to hand the objects to, or `nil` to keep the creator's group.
    package var group: gid_t?

    package init(mode: mode_t = 0o660, group: gid_t? = nil) {
        self.mode = mode
        self.group = group
    }

    /// Gives the open file `fd` these permissions: `fchmod(2)`, then `fchown(2)` to `group` when
    /// one is set. The one way permissions are applied: through a descriptor, so that a name
    /// swapped underneath is never what is changed.
    ///
    /// - Parameter object: the file's name or path, for errors.
    /// - Throws: `SystemCallError` from `fchmod` or `fchown` (`EPERM` when the caller may not
    ///   hand the file to `group`).
    package func apply(toDescriptor fd: Int32, object: String) throws {
        try Syscall.check(call: "fchmod", object: object) { fchmod(fd, mode) }
        if let group {
            try Syscall.check(call: "fchown", object: object) { fchown(fd, uid_t.max, group) }
        }
    }
}
