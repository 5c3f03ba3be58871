import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's limits on POSIX message queues, which decide how deep the posix-mq peer's queues
/// can be: `fs.mqueue.msg_max` (messages per queue, 10 by default) and `fs.mqueue.msgsize_max`
/// (bytes per message, 8192), which root may raise for the run, and RLIMIT_MSGQUEUE (the bytes of
/// all of a user's queues, 819200 by default), which a container may forbid raising. The depth is
/// reported, never hidden: at 64 KiB the rlimit leaves room for about 12 messages.
final class PosixQueueLimits {
    static let messagesPath = "/proc/sys/fs/mqueue/msg_max"
    static let bytesPath = "/proc/sys/fs/mqueue/msgsize_max"
    /// What the kernel charges a queue per message beyond its payload (a msg_msg and a share of
    /// the priority tree), rounded up.
    static let overheadPerMessage = 128

    private var raised: [(path: String, original: Int, value: Int)] = []

    /// Raises msg_max to the deepest shmd ring and msgsize_max to the largest of `sizes`, when
    /// they are lower and this process may write them; `progress` hears what it did not.
    init(sizes: [Int], progress: (String) -> Void) {
        let wanted = [
            (Self.messagesPath, sizes.map { BenchDaemon.slots(size: $0) }.max() ?? 1), (Self.bytesPath, max(sizes.max() ?? 16, 16)),
        ]
        for (path, value) in wanted {
            guard let original = Self.read(path), original < value else { continue }
            if Self.write(value, to: path) {
                raised.append((path, original, value))
                DaemonReaper.armLimit(path: path, original: original)
            } else {
                progress(
                    "posix-mq: cannot raise \(path) from \(original) to \(value) (\(String(cString: strerror(errno)))); run as root to measure deeper queues")
            }
        }
    }

    deinit { restore() }

    /// Puts back what `init` raised, unless someone has changed it since: then it is theirs.
    func restore() {
        DaemonReaper.disarmLimits()
        for entry in raised where Self.read(entry.path) == entry.value {
            _ = Self.write(entry.original, to: entry.path)
        }
        raised = []
    }

    /// How many messages of `size` bytes each of `queues` queues may hold at the same time.
    static func capacity(size: Int, queues: Int) -> Int {
        let byBytes = (byteLimit ?? Int.max) / max(queues, 1) / (size + overheadPerMessage)
        return min(read(messagesPath) ?? 10, byBytes)
    }

    /// RLIMIT_MSGQUEUE in bytes, or nil when there is none.
    static var byteLimit: Int? {
        var limit = rlimit()
        // RLIM_INFINITY is all ones.
        guard getrlimit(__rlimit_resource_t(__RLIMIT_MSGQUEUE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(limit.rlim_cur)
    }

    /// Why messages of `size` bytes cannot go through a POSIX queue here, or nil.
    static func unsupported(size: Int) -> String? {
        if let most = read(bytesPath), size > most {
            return "\(size) B is above \(bytesPath) (\(most)); run as root, and shm-bench raises it for the run"
        }
        if capacity(size: size, queues: 2) < 1 {
            return "RLIMIT_MSGQUEUE (\(byteLimit ?? 0) bytes, ulimit -q) leaves no room for two queues of \(size) B messages"
        }
        return nil
    }

    static func read(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private static func write(_ value: Int, to path: String) -> Bool {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let text = Array("\(value)\n".utf8)
        return Glibc.write(fd, text, text.count) == text.count
    }
}
