import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The state of a bridge's link (`connected`, `disconnected`, `unreachable`, `waiting-for-channel`
/// ...), so that a retry loop logs its trouble once when it starts and once when it ends, not at
/// every attempt. libnats's callbacks change it from their own thread, hence the lock.
final class LinkState: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var state = "starting"
    private var reconnectCount: UInt64 = 0
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// Logs `message` (event `state`) if the state was another one.
    func change(to newState: String, _ message: @autoclosure () -> String, level: Logger.Level) {
        pthread_mutex_lock(&lock)
        let changed = state != newState
        state = newState
        pthread_mutex_unlock(&lock)
        if changed { logger.log(level: level, "\(message())", metadata: ["event": "\(newState)"]) }
    }

    func countReconnect() {
        pthread_mutex_lock(&lock)
        reconnectCount += 1
        pthread_mutex_unlock(&lock)
    }

    var reconnects: UInt64 {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return reconnectCount
    }

    var current: String {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return state
    }
}
