import ShmKit

/// A segment in /dev/shm that starts with shmd's magic: a ring channel or a seed channel's
/// descriptor, under `prefix` with name `channel` (the file is `PREFIX.CHANNEL`).
package struct FoundChannel: Equatable, Sendable {
    package let prefix: String
    package let channel: String
    /// Ring or seed descriptor, from the magic.
    package let kind: ChannelKind
    /// The file's name in /dev/shm.
    package var file: String { "\(prefix).\(channel)" }
}
