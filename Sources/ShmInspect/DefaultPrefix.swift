import Foundation
import ShmKit
import TOMLKit

/// The prefix an operator's tools look under when none is given: `prefix` in `[daemon]` of
/// shmd's config (shmd's default when the file sets none), or `nil`, every prefix, when there
/// is no such file or it is not TOML. Only that one key is read: the tools must work with a
/// config shmd itself would refuse, since that is when people look.
package enum DefaultPrefix {
    package static let configPath = "/etc/shmd/shmd.toml"

    package static func read(from path: String = configPath) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let table = try? TOMLTable(string: text) else { return nil }
        return table["daemon"]?.table?["prefix"]?.string ?? ChannelNames.defaultPrefix
    }
}
