import Foundation

/// A value shared between threads (a test and the callbacks or workers it starts).
///
/// `@unchecked Sendable`: `stored`, the only mutable state, is read and written only with
/// `lock` held. (A `value += 1` is a read and then a write; use `withLock` to change it in one.)
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Runs `body` on the value with the lock held.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&stored) } }
}
