import Foundation
import Glibc
import TestSupport

/// systemd's end of sd_notify(3) for tests: an AF_UNIX datagram socket read continuously by a
/// thread (sd_notify blocks when nobody reads), recording every message in order.
///
/// The reading thread holds only the descriptor and an `Inbox`, never the socket itself, so that
/// the socket's `deinit` runs when its owner lets go: it shuts the socket down (which ends the
/// thread, which then closes the descriptor) and removes the socket's file from /tmp.
///
/// `@unchecked Sendable`: `path` and `fd` are constants; the inbox is.
final class FakeNotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let inbox: Inbox

    /// What arrived. `@unchecked Sendable`: `received` is read and appended only with `lock`
    /// held; `onMessage` is a constant, called only on the reading thread.
    private final class Inbox: @unchecked Sendable {
        let lock = NSLock()
        var received: [String] = []
        let onMessage: ((String) -> Void)?
        init(onMessage: ((String) -> Void)?) { self.onMessage = onMessage }
    }

    /// - Parameter onMessage: called on the reading thread the moment a datagram arrives, to
    ///   check the world at exactly that time.
    init(onMessage: ((String) -> Void)? = nil) throws {
        inbox = Inbox(onMessage: onMessage)
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
        Thread.detachNewThread { [fd, inbox] in Self.readLoop(fd: fd, inbox: inbox) }
    }

    deinit {
        // The thread closes the descriptor when its recv returns: closed here, its number could
        // be reused by another open before the thread's next recv.
        shutdown(fd, Int32(SHUT_RDWR))
        unlink(path)
    }

    var messages: [String] { inbox.lock.withLock { inbox.received } }

    /// Waits until a message containing the line `line` arrived, at most `seconds`.
    func waitFor(_ line: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { messages.contains { $0.split(separator: "\n").contains(Substring(line)) } }
    }

    /// Whether a datagram containing `text` anywhere (in a `STATUS=` line, say) arrives within `seconds`.
    func waitFor(containing text: String, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { messages.contains { $0.contains(text) } }
    }

    private static func readLoop(fd: Int32, inbox: Inbox) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            inbox.onMessage?(message)
            inbox.lock.withLock { inbox.received.append(message) }
        }
    }
}
