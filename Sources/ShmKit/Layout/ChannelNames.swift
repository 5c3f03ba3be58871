/// The POSIX IPC names of one channel's objects.
///
/// Channel `demo` with prefix `shmd` lives in segment `/shmd.demo` (`/dev/shm/shmd.demo`) with
/// semaphores `/shmd.demo.empty` and `/shmd.demo.full` (`/dev/shm/sem.shmd.demo.empty`, ...).
/// For a `seed` channel, `/shmd.demo` is a small descriptor naming the seed's own objects.
@usableFromInline
package struct ChannelNames: Equatable, Sendable {
    package let prefix: String
    package let channel: String

    /// The prefix shmd uses unless its config says otherwise (`prefix` in `[daemon]`), and the
    /// one clients assume.
    @usableFromInline
    package static let defaultPrefix = "shmd"

    /// The longest file name in /dev/shm (NAME_MAX).
    package static let nameMax = 255
    /// The longest suffix added to a channel's base name, with glibc's `sem.` file prefix.
    static let longestDecoration = "sem.".count + ".empty".count

    /// Validates `prefix` and `channel` and derives the names.
    ///
    /// - Throws: `ChannelError.invalidName` when either contains a character other than
    ///   `A-Z a-z 0-9 . _ -`, is empty, or makes a name longer than NAME_MAX.
    package init(prefix: String, channel: String) throws {
        try Self.validate(component: prefix, what: "prefix")
        try Self.validate(component: channel, what: "channel name")
        let longest = Self.longestDecoration + prefix.utf8.count + 1 + channel.utf8.count
        if longest > Self.nameMax {
            throw ChannelError.invalidName(
                name: channel,
                reason: "'sem.\(prefix).\(channel).empty' would be \(longest) bytes, over NAME_MAX (\(Self.nameMax)); use a shorter name or prefix")
        }
        self.prefix = prefix
        self.channel = channel
    }

    /// `/prefix.channel`: the ring segment, or the descriptor of a seed channel.
    package var segment: String { "/\(prefix).\(channel)" }
    package var semaphoreEmpty: String { "\(segment).empty" }
    package var semaphoreFull: String { "\(segment).full" }

    /// Checks one part of a name.
    ///
    /// - Throws: `ChannelError.invalidName` saying what is wrong.
    package static func validate(component: String, what: String) throws {
        if component.isEmpty {
            throw ChannelError.invalidName(name: component, reason: "the \(what) is empty")
        }
        if component == "." || component == ".." {
            throw ChannelError.invalidName(name: component, reason: "the \(what) cannot be '.' or '..'")
        }
        if component.utf8.contains(UInt8(ascii: "/")) {
            throw ChannelError.invalidName(name: component, reason: "the \(what) contains '/'; names in /dev/shm are flat")
        }
        if let bad = component.unicodeScalars.first(where: { !isAllowed($0) }) {
            throw ChannelError.invalidName(
                name: component, reason: "the \(what) contains '\(bad)'; use only A-Z a-z 0-9 . _ -")
        }
        if component.utf8.count > nameMax - longestDecoration - 2 {
            throw ChannelError.invalidName(
                name: component, reason: "the \(what) is \(component.utf8.count) bytes, longer than NAME_MAX allows")
        }
    }

    /// Checks a full POSIX IPC name given in a config (`/my_shm`): one leading '/', then a valid
    /// component.
    ///
    /// - Throws: `ChannelError.invalidName`.
    package static func validate(objectName: String) throws {
        guard objectName.hasPrefix("/") else {
            throw ChannelError.invalidName(name: objectName, reason: "a POSIX IPC name must start with '/'")
        }
        try validate(component: String(objectName.dropFirst()), what: "object name")
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
