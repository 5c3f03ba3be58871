import SystemPackage

/// Everything a client or the daemon can do wrong with a channel, each case carrying what a user
/// needs to fix it. `description` is the message to print; `exitCode` the sysexits code.
public enum ChannelError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No segment under the channel's name, after waiting `waited` seconds for shmd to create it.
    case notFound(channel: String, object: String, waited: Double)
    /// The channel's segment exists but has 0 bytes (after the wait, if any): shmd sizes it before
    /// anything else, so it was truncated, or is some other program's object.
    case emptySegment(channel: String, object: String)
    /// A message longer than a slot can hold.
    case messageTooLarge(channel: String, size: Int, limit: Int)
    /// A message the channel's layout cannot carry (the seed layout holds C strings: no NUL bytes).
    case unrepresentable(channel: String, reason: String)
    /// The segment's header is not one this build understands, or contradicts itself.
    case headerMismatch(channel: String, field: String, expected: String, found: String)
    /// The caller may not open one of the channel's objects.
    case permissionDenied(channel: String, object: String)
    /// A blocking wait ran past its deadline.
    case timedOut(channel: String, operation: String, seconds: Double)
    /// shmd closed the channel (it is stopping, or the channel was removed from its config).
    case closed(channel: String)
    /// A channel name or prefix that cannot form a POSIX IPC name.
    case invalidName(name: String, reason: String)
    /// A number of seconds given for `argument` (`timeout`, `wait`) that is not one: nan or
    /// negative. (+inf is valid and means no limit.)
    case invalidArgument(channel: String, argument: String, value: Double)
    /// A call the API does not allow in the state it was made in: a release without a borrow, a
    /// second claim before a commit, a call on a closed handle, a NULL argument (the C API).
    case invalidUse(channel: String, reason: String)
    /// The channel's client table has no free entry: every client needs one, since a client shmd
    /// has no record of could not be repaired after it dies.
    case tooManyClients(channel: String, limit: Int)
    /// The channel's objects belong to a daemon that is still running (a second shmd with the
    /// same prefix).
    case ownedByRunningDaemon(channel: String, pid: Int32)
    /// An object is in the way of a channel shmd creates, and shmd may not remove it (someone
    /// else's file or symbolic link in /dev/shm); `reason` says whose and what.
    case foreignObject(channel: String, path: String, reason: String)
    /// The channel's shared state contradicts itself: anyone with write access can write
    /// anything into a segment, and `detail` says what was found.
    case corrupt(channel: String, detail: String)
    /// The segment is shorter than the channel it holds: someone with write access truncated it.
    case truncated(channel: String, object: String, size: Int, expected: Int)
    /// Any other failed system call.
    case system(channel: String, SystemCallError)

    /// The message to show a user: what went wrong, on which channel and object, and the way
    /// out, e.g. "channel 'demo' does not exist (no /shmd.demo in /dev/shm): is shmd running?
    /// `systemctl status shmd`; …". The command-line clients print it after their name.
    public var description: String {
        switch self {
        case let .notFound(channel, object, waited):
            let after = waited > 0 ? " after waiting \(Self.format(waited)) s" : ""
            return "channel '\(channel)' does not exist (no \(object) in /dev/shm\(after)): is shmd running? "
                + "`systemctl status shmd`; is the channel in its config and the prefix right (--prefix)?"
        case let .emptySegment(channel, object):
            return "segment \(object) of channel '\(channel)' has 0 bytes: it was truncated, or is not a shmd channel; "
                + "restart shmd (`systemctl restart shmd`)"
        case let .messageTooLarge(channel, size, limit):
            return "message of \(size) bytes is larger than a slot of channel '\(channel)' (\(limit) bytes): "
                + "send smaller messages or raise slot-size for the channel in shmd.toml"
        case let .unrepresentable(channel, reason):
            return "message cannot be sent on channel '\(channel)': \(reason)"
        case let .headerMismatch(channel, field, expected, found):
            return "channel '\(channel)' has an incompatible header: \(field) is \(found), expected \(expected); "
                + "the segment was made by another version of shmd or is not a shmd channel: "
                + "restart shmd (`systemctl restart shmd`), which replaces a channel it cannot adopt"
        case let .permissionDenied(channel, object):
            return "permission denied opening \(object) of channel '\(channel)': run as root, as shmd's user, "
                + "or as a member of the channel's group (`ls -l /dev/shm` shows owner and mode)"
        case let .timedOut(channel, operation, seconds):
            return "timed out after \(Self.format(seconds)) s waiting to \(operation) on channel '\(channel)'"
        case let .closed(channel):
            return "channel '\(channel)' was closed by shmd (it stopped or the channel was removed)"
        case let .invalidName(name, reason):
            return "invalid channel name '\(name)': \(reason)"
        case let .invalidArgument(channel, argument, value):
            return "invalid \(argument) \(value) for channel '\(channel)': give a number of seconds, 0 or more "
                + "(+infinity for no limit)"
        case let .invalidUse(channel, reason):
            return "invalid use of channel '\(channel)': \(reason)"
        case let .tooManyClients(channel, limit):
            return "channel '\(channel)' already has \(limit) attached clients, as many as its client table records: "
                + "detach one, or raise max-clients for the channel in shmd.toml and restart shmd (`systemctl restart shmd`)"
        case let .ownedByRunningDaemon(channel, pid):
            return "channel '\(channel)' belongs to a shmd that is still running (pid \(pid)): stop it first, "
                + "or give this daemon another prefix"
        case let .foreignObject(channel, path, reason):
            return "cannot create channel '\(channel)': \(path) is in the way and shmd may not remove it: \(reason); "
                + "remove it as root (`rm \(path)`), then restart shmd (`systemctl restart shmd`)"
        case let .corrupt(channel, detail):
            return "channel '\(channel)' is damaged: \(detail); a process with write access to it wrote there. "
                + "shmd replaces a damaged channel within one sweep: attach again, and see `journalctl -u shmd`"
        case let .truncated(channel, object, size, expected):
            return "segment \(object) of channel '\(channel)' was truncated to \(size) bytes (the channel needs \(expected)); "
                + "a process with write access to it cut it. shmd replaces a damaged channel within one sweep: "
                + "attach again, and see `journalctl -u shmd`"
        case let .system(channel, error):
            return "channel '\(channel)': \(error)"
        }
    }

    /// The sysexits(3) code a command-line client exits with for this error.
    public var exitCode: SysExit {
        switch self {
        case .notFound, .closed, .tooManyClients: return .unavailable
        case .messageTooLarge, .unrepresentable, .headerMismatch, .emptySegment, .corrupt, .truncated: return .dataError
        case .foreignObject: return .cannotCreate
        case .permissionDenied: return .permissionDenied
        case .timedOut, .ownedByRunningDaemon: return .temporaryFailure
        case .invalidName, .invalidArgument, .invalidUse: return .usage
        case .system: return .osError
        }
    }

    /// Maps a failed call on one of `channel`'s objects to the case a user can act on.
    static func from(_ error: SystemCallError, channel: String) -> ChannelError {
        switch error.errno {
        case .permissionDenied, .notPermitted: return .permissionDenied(channel: channel, object: error.object)
        case .noSuchFileOrDirectory: return .notFound(channel: channel, object: error.object, waited: 0)
        default: return .system(channel: channel, error)
        }
    }

    private static func format(_ seconds: Double) -> String {
        // Int(_:) traps on nan, inf and values beyond Int: those are printed as Swift does.
        guard seconds.magnitude < 1e15 else { return "\(seconds)" }
        return seconds == seconds.rounded() ? String(Int(seconds)) : String(format3: seconds)
    }
}

extension String {
    /// `value` with up to three decimals, without Foundation.
    init(format3 value: Double) {
        let milli = Int((value * 1000).rounded())
        let fraction = String(milli % 1000)
        self = "\(milli / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
