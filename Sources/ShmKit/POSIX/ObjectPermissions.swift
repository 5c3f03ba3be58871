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
}
