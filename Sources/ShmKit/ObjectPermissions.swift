#if canImport(Glibc)
import Glibc
#endif

/// Owner-group and mode bits for the objects shmd creates, applied with fchmod/fchown after
/// creation so that the process umask never decides who may attach.
public struct ObjectPermissions: Equatable, Sendable {
    /// Permission bits, e.g. 0o660. Never more than 0o777.
    public var mode: mode_t
    /// Group to hand the objects to, or `nil` to keep the creator's group.
    public var group: gid_t?

    public init(mode: mode_t = 0o660, group: gid_t? = nil) {
        self.mode = mode
        self.group = group
    }
}
