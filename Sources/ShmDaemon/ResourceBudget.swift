import ShmHost
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// What holding a config's channels costs the daemon in per-process kernel resources, checked
/// against this host's limits before anything is created, so that a config too large for them
/// is an error of `--check-config` rather than `EMFILE` or `ENOMEM` halfway through the start.
///
/// - Descriptors: a ring channel keeps its segment open (`SharedMemorySegment` holds the
///   descriptor as long as the mapping), a seed channel its buffer and its descriptor segment.
///   A semaphore keeps none: glibc's `sem_open` closes the file once it is mapped (verified in
///   /proc/PID/fd). shmd itself needs a few more: stdio, the runtime's eventfd, epoll, timerfds
///   and signalfds, the journal socket, the notify socket and config file while in use, and
///   /proc files it reads to tell dead clients; `daemonDescriptors` covers them with a margin.
/// - Mappings (`vm.max_map_count`, 65530 by default): a ring channel maps its segment and each
///   of its 2 semaphores separately, a seed channel 2 segments and 2 semaphores; the process
///   itself has a few hundred (libraries, heap, thread stacks). This binds only past about
///   21,000 channels, but the hard limit on descriptors systemd gives (524288) lets a config
///   get there.
package struct ResourceBudget: Equatable, Sendable {
    /// Descriptors shmd may hold besides its channels'.
    package static let daemonDescriptors = 64
    /// Mappings shmd has besides its channels'.
    package static let daemonMappings = 1024

    /// The limits a config must fit under.
    package struct Limits: Equatable, Sendable {
        /// `RLIMIT_NOFILE` as shmd has it, after raising the soft limit to the hard one.
        package var openFiles: FileDescriptorLimit?
        /// `vm.max_map_count`, when it can be read (not under the unit's `ProcSubset=pid`).
        package var mapCount: Int?

        package init(openFiles: FileDescriptorLimit?, mapCount: Int?) {
            self.openFiles = openFiles
            self.mapCount = mapCount
        }

        /// This process's limits now.
        package static func current() -> Limits {
            Limits(openFiles: try? FileDescriptorLimit.current(), mapCount: readMapCount())
        }

        private static func readMapCount() -> Int? {
            Syscall.readSmallFile("/proc/sys/vm/max_map_count").flatMap { Int($0.filter(\.isNumber)) }
        }
    }

    package var descriptors = daemonDescriptors
    package var mappings = daemonMappings

    package init() {}

    /// What one channel adds.
    package static func cost(of spec: ChannelSpec) -> (descriptors: Int, mappings: Int) {
        switch spec.layout {
        case .ring: return (1, 3)
        case .seed: return (2, 4)
        }
    }

    /// Adds `spec`'s cost.
    package mutating func add(_ spec: ChannelSpec) {
        let cost = Self.cost(of: spec)
        descriptors += cost.descriptors
        mappings += cost.mappings
    }

    /// Whether this budget fits under `limits`' descriptors.
    package func fitsDescriptors(_ limits: Limits) -> Bool {
        limits.openFiles.map { descriptors <= $0.soft } ?? true
    }

    /// Whether this budget fits under `limits`' mappings.
    package func fitsMappings(_ limits: Limits) -> Bool {
        limits.mapCount.map { mappings <= $0 } ?? true
    }

    /// Why a config of `channels` channels needing `self` does not fit the descriptor limit
    /// from channel `first` on, ending with the fix.
    func descriptorReason(channels: Int, first: String, limit: FileDescriptorLimit) -> String {
        let bound =
            limit.soft == limit.hard
            ? "RLIMIT_NOFILE, soft and hard limit \(limit.hard)"
            : "RLIMIT_NOFILE soft limit \(limit.soft), which could not be raised to the hard limit \(limit.hard)"
        return "the \(channels) channels need \(descriptors) open files and shmd may open only \(limit.soft) (\(bound)): "
            + "1 per ring channel, 2 per seed channel and \(Self.daemonDescriptors) for shmd itself; channel '\(first)' is the first that does not fit. "
            + "Configure fewer channels, or raise the hard limit: LimitNOFILE=\(descriptors) in shmd.service (`systemctl edit shmd`), "
            + "or `ulimit -Hn \(descriptors)` as root in the shell that starts shmd"
    }

    /// Why a config of `channels` channels needing `self` does not fit `vm.max_map_count`
    /// from channel `first` on, ending with the fix.
    func mappingReason(channels: Int, first: String, limit: Int) -> String {
        "the \(channels) channels need \(mappings) memory mappings and the kernel allows \(limit) per process (vm.max_map_count): "
            + "3 per ring channel (its segment and 2 semaphores), 4 per seed channel and \(Self.daemonMappings) for shmd itself; "
            + "channel '\(first)' is the first that does not fit. Configure fewer channels, or raise the limit: "
            + "`sysctl -w vm.max_map_count=\(mappings)` (and a file in /etc/sysctl.d/ to keep it)"
    }
}
