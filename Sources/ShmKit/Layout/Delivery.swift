/// Who gets each message of a ring channel (`delivery` in shmd.toml).
public enum Delivery: Equatable, Sendable, CustomStringConvertible {
    /// The seed's producer and consumer: each message goes to exactly one reader.
    case queue
    /// Publish/subscribe: every reader gets every message, each writer's in its order. The
    /// policy says what a reader that cannot keep up costs: the writers' time, or its messages.
    case fanout(SlowReaderPolicy)

    /// The header's `delivery` word: 0 queue, 1 fan-out that blocks, 2 fan-out that drops.
    package var rawValue: UInt32 {
        switch self {
        case .queue: return 0
        case let .fanout(policy): return policy.rawValue
        }
    }

    /// The delivery a header's word names, `nil` for a word this build does not know.
    package init?(rawValue: UInt32) {
        if rawValue == 0 {
            self = .queue
        } else if let policy = SlowReaderPolicy(rawValue: rawValue) {
            self = .fanout(policy)
        } else {
            return nil
        }
    }

    /// Whether every reader gets every message.
    public var isFanout: Bool { self != .queue }

    /// `queue`, `fanout (slow-reader = block)` or `fanout (slow-reader = drop)`.
    public var description: String {
        switch self {
        case .queue: return "queue"
        case let .fanout(policy): return "fanout (slow-reader = \(policy))"
        }
    }
}

/// What a fan-out channel does about a reader that falls a whole ring behind (`slow-reader`).
public enum SlowReaderPolicy: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Writers wait for the slowest live reader: nothing is lost, and a stopped reader stops
    /// the writers (shmd reports it stuck; a dead one is dropped from the wait by its sweep).
    case block = 1
    /// Writers never wait for readers. A reader they lap skips to the oldest message still
    /// intact and is told how many it lost; it never sees a message being overwritten.
    case drop = 2

    /// `block` or `drop`, as shmd.toml spells it.
    public var description: String { self == .block ? "block" : "drop" }
}

/// Where a reader of a fan-out channel starts (`--from` of `shm-reader`).
public enum StartPosition: String, Sendable, CaseIterable {
    /// The next message written after the reader attached.
    case next
    /// The oldest message still intact in the ring: up to `slots` messages written before
    /// the reader attached, then everything after.
    case oldest
}
