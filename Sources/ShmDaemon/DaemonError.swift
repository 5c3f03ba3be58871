import ShmKit
import SystemPackage

/// Why the daemon could not start or keep running, with the sysexits code it exits with.
package enum DaemonError: Error, CustomStringConvertible {
    /// The config is invalid (exit 78: systemd's `RestartPreventExitStatus=78` keeps it down).
    case config(ConfigError)
    /// /dev/shm cannot hold the configured channels.
    case insufficientSharedMemory(needed: Int, available: Int)
    /// Creating a channel's objects failed.
    case channelCreation(channel: String, SystemCallError)
    case invalidChannel(ChannelError)

    package var description: String {
        switch self {
        case let .config(error):
            return "invalid configuration: \(error)"
        case let .insufficientSharedMemory(needed, available):
            return "/dev/shm has \(available) bytes free but the channels need \(needed): free space in /dev/shm "
                + "(`df -h /dev/shm`, `ls -l /dev/shm`; `shmctl gc` removes what dead shmd daemons left), enlarge it, "
                + "or configure fewer or smaller channels"
        case let .channelCreation(channel, error):
            let hint: String
            switch error.errno {
            case .permissionDenied, .notPermitted:
                hint = ": shmd lacks the right to create or change it; run it as root or as the service user, and check the group in the config"
            case .noSpace:
                hint = ": /dev/shm is full (`df -h /dev/shm`; `shmctl gc` removes what dead shmd daemons left)"
            case .fileExists:
                hint = ": another process created it meanwhile; is a second shmd running with the same prefix?"
            default:
                hint = ""
            }
            return "cannot create channel '\(channel)': \(error)\(hint)"
        case let .invalidChannel(error):
            return error.description
        }
    }

    package var exitCode: SysExit {
        switch self {
        case .config: return .config
        case .insufficientSharedMemory: return .cannotCreate
        case let .channelCreation(_, error):
            return error.errno == .permissionDenied || error.errno == .notPermitted ? .permissionDenied : .cannotCreate
        case let .invalidChannel(error): return error.exitCode == .usage ? .config : error.exitCode
        }
    }
}
