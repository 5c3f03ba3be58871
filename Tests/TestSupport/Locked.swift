import Foundation

/// A value shared between threads (a test and the callbacks or workers it starts).
public final class Locked<Value> {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    /// The value, read or replaced with the lock held. (`value += 1` is a read and then a write:
    /// use `withLock` to change it in one step.)
    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Runs `body` on the value with the lock held.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&stored) } }
}

/// `@unchecked Sendable`: `stored`, the only mutable state, is read and written only with `lock`
/// held, and a `Value` is Sendable, so the copies `value` hands to different threads may be used
/// there.
extension Locked: @unchecked Sendable where Value: Sendable {}
