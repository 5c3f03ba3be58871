import ShmHost
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The validated daemon configuration: what `shmd.toml` says, after every check.
package struct DaemonConfig: Equatable, Sendable {
    /// Prefix of every object name: `/PREFIX.CHANNEL`.
    package var prefix: String
    /// How often the daemon refreshes its status and looks at its channels, in seconds.
    package var sweepInterval: Double
    /// The channels, in file order.
    package var channels: [ChannelSpec]
    /// `require-all-channels`: whether one channel that cannot be created stops the start. By
    /// default shmd serves the channels it could create and says which failed: one planted file
    /// in /dev/shm must not take every other channel down with it.
    package var requireAllChannels: Bool

    package init(prefix: String = ChannelNames.defaultPrefix, sweepInterval: Double = 1, channels: [ChannelSpec], requireAllChannels: Bool = false) {
        self.prefix = prefix
        self.sweepInterval = sweepInterval
        self.channels = channels
        self.requireAllChannels = requireAllChannels
    }

    /// Used when no `--config` is given and /etc/shmd/shmd.toml does not exist: one ring
    /// channel `demo` of 64 slots of 1024 bytes.
    package static let builtIn = DaemonConfig(channels: [
        ChannelSpec(name: "demo", layout: .ring(slots: 64, slotSize: 1024, protocol: .fast))
    ])

    /// Bytes of /dev/shm the channels need, semaphores included (one page each).
    package var sharedMemoryBytes: Int {
        channels.reduce(0) { $0 + $1.sharedMemoryBytes + 2 * Int(sysconf(Int32(_SC_PAGESIZE))) }
    }
}
