import Foundation
import Glibc
import TestSupport

/// systemd's end of sd_notify(3) for tests: an AF_UNIX datagram socket read continuously by a
/// thread (sd_notify blocks when nobody reads), recording every message in order.
///
/// `@unchecked Sendable`: `path` and `fd` are constants; `received` is read and appended only
/// with `lock` held; `onMessage` is set once in `init`, before the reading thread starts, and
/// is called only on that thread.
final class FakeNotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var onMessage: ((String) -> Void)?

    /// - Parameter onMessage: called on the reading thread the moment a datagram arrives, to
    ///   check the world at exactly that time.
    init(onMessage: ((String) -> Void)? = nil) throws {
        path = NSTemporaryDirectory() + "shmd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): \(errno)") }
        // A daemon running as another user (the hostile-input tests' service user) may send too.
        chmod(path, 0o777)
        self.onMessage = onMessage
        Thread.detachNewThread { [self] in readLoop() }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    var messages: [String] { lock.withLock { received } }

    /// Waits until a message containing the line `line` arrived, at most `seconds`.
    func waitFor(_ line: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { messages.contains { $0.split(separator: "\n").contains(Substring(line)) } }
    }

    /// Whether a datagram containing `text` anywhere (in a `STATUS=` line, say) arrives within `seconds`.
    func waitFor(containing text: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { messages.contains { $0.contains(text) } }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            onMessage?(message)
            lock.withLock { received.append(message) }
        }
    }
}
