import Logging
import ShmKit

/// The channels a config opens to every local user: a mode with a world bit, which the config
/// accepted only because it says `allow-world = true`. Such a channel lets anyone on the host
/// read its messages, so shmd says so at every start and reload, not only once when the file
/// was written.
package enum WorldAccessWarning {
    /// One line naming every such channel with its mode, or `nil` when there is none.
    package static func message(for config: DaemonConfig) -> String? {
        let open = config.channels.filter { $0.permissions.mode & 0o007 != 0 }
        guard !open.isEmpty else { return nil }
        let list = open.map { "\($0.name) (mode \(ModeRules.format($0.permissions.mode)))" }.joined(separator: ", ")
        let them = open.count == 1 ? "its" : "their"
        return "\(open.count == 1 ? "channel" : "channels") open to every local user (allow-world = true): \(list): "
            + "any user on this host can read \(them) messages; give access through a group instead unless that is intended"
    }

    /// Logs `message(for:)` as a warning, with the channels in the `channels` field.
    package static func log(_ config: DaemonConfig, to logger: Logger) {
        guard let message = message(for: config) else { return }
        let names = config.channels.filter { $0.permissions.mode & 0o007 != 0 }.map(\.name)
        logger.warning("\(message)", metadata: ["event": "world-access", "channels": "\(names.joined(separator: ","))"])
    }
}
