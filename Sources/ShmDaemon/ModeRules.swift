#if canImport(Glibc)
import Glibc
#endif

/// What the permission bits of a channel's objects may be, and why each refusal matters.
///
/// Clients open every object read-write (the segment for the cursors and the client table, the
/// semaphores to post and wait), so a class of users either has both `r` and `w` or cannot
/// attach at all:
///
/// - the owner (shmd's user) always needs `rw`;
/// - the group has `rw` (members attach: the usual 0660) or nothing (0600: only shmd's user
///   attaches; then a `group` key next to it would hand the objects to a group that gets no
///   access, which is refused as a mistake);
/// - others get nothing: any world bit lets every local user read every message in the segment
///   (`cat /dev/shm/...`), and world write lets them corrupt it. World read is accepted only
///   with `allow-world = true`; world write never.
struct ModeRules {
    /// The mode as written in the config, for messages (`"0664"`).
    let text: String
    let mode: mode_t

    /// What is wrong with a mode, once for each rule.
    enum Violation: Equatable {
        case worldWrite
        case worldAccess
        case ownerLacksReadWrite
        case groupPartial
        /// The group has no access, yet the same table names a group.
        case groupWithoutAccess(group: String)
    }

    /// Checks the mode alone: world bits (allowed by `allowWorld`, except write), the owner's
    /// and the group's access; then whether `group`, set in the same table, would get any.
    func violation(allowWorld: Bool, group: String?) -> Violation? {
        if mode & 0o002 != 0 { return .worldWrite }
        if mode & 0o005 != 0 && !allowWorld { return .worldAccess }
        if mode & 0o600 != 0o600 { return .ownerLacksReadWrite }
        switch mode & 0o060 {
        case 0o060: return nil
        case 0: return group.map { .groupWithoutAccess(group: $0) }
        default: return .groupPartial
        }
    }

    /// Why `violation` is refused, ending with the fix.
    func reason(_ violation: Violation) -> String {
        switch violation {
        case .worldWrite:
            return "\(text) lets every user write the channel; give access through a group instead (e.g. \"0660\" and group)"
        case .worldAccess:
            return "\(text) gives every user on this host \(Self.describe(others: mode)) access: anyone could read every message "
                + "in the segment. Give access through a group instead (\"0660\" and group = \"...\"); "
                + "if every local user may really read the channel, set allow-world = true"
        case .ownerLacksReadWrite:
            return "\(text) does not give the owner (shmd) read and write access"
        case .groupPartial:
            return "\(text) gives the group \(Self.describe(group: mode)) access but clients open the objects read and write: "
                + "group members could not attach (permission denied, exit 77). "
                + "Use \"0660\" to let the group in, or \"0600\" for shmd's user only"
        case let .groupWithoutAccess(group):
            return "\(text) gives the group no access, so group '\(group)' would own objects its members cannot open "
                + "(permission denied, exit 77). Use \"0660\" to let group '\(group)' in, "
                + "or remove the group key to keep the channel to shmd's user"
        }
    }

    /// `"0664"`: four octal digits, as a config writes a mode.
    static func format(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func describe(others mode: mode_t) -> String {
        [(mode & 0o004 != 0, "read"), (mode & 0o001 != 0, "execute")].filter(\.0).map(\.1).joined(separator: " and ")
    }

    private static func describe(group mode: mode_t) -> String {
        mode & 0o040 != 0 ? "read but not write" : "write but not read"
    }
}
