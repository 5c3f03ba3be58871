#if canImport(Glibc)
import Glibc
#endif

/// Stops the benchmark's shmd when shm-bench is interrupted (Ctrl-C, SIGTERM, a closed pipe on
/// its output), so that neither the daemon nor its channels outlive the run. shmd removes its
/// objects on SIGTERM; only async-signal-safe calls happen in the handler.
enum DaemonReaper {
    nonisolated(unsafe) private static var daemon: pid_t = 0
    nonisolated(unsafe) private static var configPath: UnsafeMutablePointer<CChar>?
    /// The iceoryx RouDi of the `iceoryx` transport, when one runs: it removes its objects on
    /// SIGTERM too.
    nonisolated(unsafe) private static var roudi: pid_t = 0
    /// The kernel limits raised for the run (`PosixQueueLimits`): a /proc/sys path and the text
    /// of its original value each, written back on a signal with open/write/close alone.
    /// What the peers' roles may leave (`PeerLeftovers`), removed on a signal with unlink,
    /// mq_unlink and rmdir alone.
    nonisolated(unsafe) private static var files: [UnsafeMutablePointer<CChar>] = []
    nonisolated(unsafe) private static var queues: [UnsafeMutablePointer<CChar>] = []
    nonisolated(unsafe) private static var folder: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var unlinkQueue: (@convention(c) (UnsafePointer<CChar>) -> Int32)?
    nonisolated(unsafe) private static var limits: [(path: UnsafeMutablePointer<CChar>, value: UnsafeMutablePointer<CChar>)] = []

    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

    /// Arms the handlers for daemon `pid`, whose config file is `path`.
    static func arm(pid: pid_t, configPath path: String) {
        configPath = strdup(path)
        daemon = pid
        // A parent may have left them blocked (test runners and some supervisors do); a handler
        // that never runs would leave the daemon behind.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in signals { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in signals {
            _ = Glibc.signal(signal) { received in
                if DaemonReaper.daemon > 0 { kill(DaemonReaper.daemon, SIGTERM) }
                if DaemonReaper.roudi > 0 { kill(DaemonReaper.roudi, SIGTERM) }
                if let path = DaemonReaper.configPath { unlink(path) }
                for file in DaemonReaper.files { unlink(file) }
                for queue in DaemonReaper.queues { _ = DaemonReaper.unlinkQueue?(queue) }
                if let folder = DaemonReaper.folder { rmdir(folder) }
                for limit in DaemonReaper.limits {
                    let fd = open(limit.path, O_WRONLY)
                    if fd >= 0 {
                        _ = write(fd, limit.value, strlen(limit.value))
                        close(fd)
                    }
                }
                // Die of the same signal, so the caller sees what happened.
                Glibc.signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    /// RouDi `pid` is stopped too on a signal (the handlers are armed by `arm`, first).
    static func armRoudi(pid: pid_t) { roudi = pid }

    static func disarmRoudi() { roudi = 0 }

    /// `path` is written back to `original` on a signal, until `disarmLimits`.
    static func armLimit(path: String, original: Int) { limits.append((strdup(path), strdup("\(original)\n"))) }

    static func disarmLimits() { limits = [] }

    /// The peers' leftovers of prefix `prefix` go on a signal too.
    static func armLeftovers(prefix: String, sizes: [Int]) {
        let names = PeerLeftovers.names(prefix: prefix, sizes: sizes)
        unlinkQueue = PeerLeftovers.unlinkQueue
        files = names.files.map { strdup($0) }
        queues = names.queues.map { strdup($0) }
        folder = strdup(names.folder)
    }

    /// The daemon was stopped in order: nothing to do on a signal any more.
    static func disarm() {
        daemon = 0
        for signal in signals { _ = Glibc.signal(signal, SIG_DFL) }
    }
}
