import ShmHost
import ShmKit

/// Which channel of a config uses which file in /dev/shm, so that no two objects of a config
/// ever share one.
///
/// Two objects collide when they are the same *file*, not only when they have the same POSIX
/// name: glibc keeps a semaphore `/x` in the file `sem.x`, next to the segments. So under prefix
/// `sem`, channel `sem.a.empty`'s segment `/sem.sem.a.empty` is channel `a`'s semaphore
/// `/sem.a.empty`: creating either channel starts by unlinking leftovers of its names, which
/// would delete the other's live object.
struct ObjectFileClaims {
    /// One object of one channel, and the config key its name comes from.
    struct Claim {
        var channel: String
        var index: Int
        var object: IPCObject
        /// What the object is to the channel: "segment", "semaphore 'empty'"...
        var role: String
        /// `channel[2].name` or, for a seed channel's own objects, `channel[2].segment`...
        var key: String
    }

    /// The first claim of every file path.
    private var claims: [String: Claim] = [:]

    /// Every object `spec` (the `index`th channel) uses under `prefix`, each with its role and key.
    static func claims(of spec: ChannelSpec, index: Int, prefix: String) throws -> [Claim] {
        let objects = try spec.objects(prefix: prefix)
        let roles: [(role: String, key: String)]
        switch spec.layout {
        case .ring:
            roles = [("segment", "name"), ("semaphore 'empty'", "name"), ("semaphore 'full'", "name")]
        case .seed:
            roles = [
                ("descriptor segment", "name"), ("buffer segment", "segment"),
                ("semaphore 'empty'", "sem-empty"), ("semaphore 'full'", "sem-full"),
            ]
        }
        precondition(roles.count == objects.count, "ChannelSpec.objects changed shape")
        return zip(objects, roles).map { object, role in
            Claim(channel: spec.name, index: index, object: object, role: role.role, key: "channel[\(index)].\(role.key)")
        }
    }

    /// Records `claim`.
    ///
    /// - Returns: the earlier claim of the same file, if there is one (and then records nothing).
    mutating func claim(_ claim: Claim) -> Claim? {
        if let earlier = claims[claim.object.path] { return earlier }
        claims[claim.object.path] = claim
        return nil
    }

    /// Why `later` cannot share its file with `earlier`, ending with the fix.
    static func collision(_ later: Claim, _ earlier: Claim) -> String {
        let file = later.object.path
        let keys = later.key == earlier.key ? later.key : "\(later.key) or \(earlier.key)"
        let fix = "creating one would delete the other. Give one of them another name (\(keys))"
        if later.object == earlier.object {
            if later.channel == earlier.channel {
                return "object \(later.object.name) is used twice by channel '\(later.channel)', as its \(earlier.role) "
                    + "(from \(earlier.key)) and as its \(later.role) (from \(later.key)); it is the file \(file): \(fix)"
            }
            return "object \(later.object.name) is used by channel '\(earlier.channel)' too, there as its \(earlier.role) "
                + "(from \(earlier.key)); it is the file \(file): \(fix)"
        }
        return "\(describe(later)) and \(describe(earlier)) are the same file, \(file): \(fix)"
    }

    private static func describe(_ claim: Claim) -> String {
        "the \(claim.role) \(claim.object.name) of channel '\(claim.channel)' (from \(claim.key))"
    }
}
