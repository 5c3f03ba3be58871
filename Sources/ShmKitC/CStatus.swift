import CShim
import ShmKit

/// How a C call reports its outcome: the sysexits code the commands exit with, and, after a
/// failure, the message and kind the calling thread reads with `shmkit_last_error` and
/// `shmkit_last_error_kind` (thread-local storage in CShim).
enum CStatus {
    /// Runs `body` and turns what it throws into a status code, recording the error.
    @inline(__always)
    static func run(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            return record(error)
        }
    }

    /// Records `error` as the calling thread's last error and returns its status code.
    @inline(never)
    static func record(_ error: Error) -> Int32 {
        let (code, kind, text): (SysExit, ErrorKind, String)
        switch error {
        case let error as ChannelError: (code, kind, text) = (error.exitCode, ErrorKind(error), error.description)
        case let error as SystemCallError: (code, kind, text) = (.osError, .system, error.description)
        default: (code, kind, text) = (.osError, .system, "\(error)")
        }
        cshim_set_last_error(kind.rawValue, text)
        return code.rawValue
    }

    /// The kinds of `enum shmkit_error_kind` in shmkit.h.
    enum ErrorKind: Int32 {
        case none = 0
        case notFound, closed, tooManyClients, tooLarge, unrepresentable, headerMismatch, damaged
        case timeout, permission, invalidArgument, invalidName, system

        init(_ error: ChannelError) {
            switch error {
            case .notFound: self = .notFound
            case .closed: self = .closed
            case .tooManyClients: self = .tooManyClients
            case .messageTooLarge: self = .tooLarge
            case .unrepresentable: self = .unrepresentable
            case .headerMismatch: self = .headerMismatch
            case .emptySegment, .corrupt, .truncated: self = .damaged
            case .timedOut: self = .timeout
            case .permissionDenied: self = .permission
            case .invalidArgument, .invalidUse: self = .invalidArgument
            case .invalidName: self = .invalidName
            case .system, .ownedByRunningDaemon, .foreignObject: self = .system
            }
        }
    }

    /// A `size_t` message length from C as an `Int`, checked against the channel's slot first:
    /// a length beyond `Int.max` (a failed `read`'s -1 passed on, say) is a message too large,
    /// never a negative count.
    ///
    /// - Throws: `ChannelError.messageTooLarge`.
    static func messageLength(_ length: UInt, for channel: ChannelWriter) throws -> Int {
        guard length <= UInt(channel.maximumMessageSize) else {
            throw ChannelError.messageTooLarge(channel: channel.channel, size: Int(clamping: length), limit: channel.maximumMessageSize)
        }
        return Int(length)
    }

    /// A `const char *` argument as a String, or the error naming the argument when it is NULL.
    static func string(_ pointer: UnsafePointer<CChar>?, argument: String, channel: String = "?") throws -> String {
        guard let pointer else { throw ChannelError.invalidUse(channel: channel, reason: "\(argument) is NULL") }
        return String(cString: pointer)
    }
}
