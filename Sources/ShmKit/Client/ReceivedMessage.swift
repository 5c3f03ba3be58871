/// A message a reader took, with what it missed just before it.
public struct ReceivedMessage: Equatable, Sendable {
    /// The message's bytes.
    public let bytes: [UInt8]
    /// Messages this reader lost between the previous message it took and this one: on a
    /// fan-out channel with `slow-reader = "drop"`, those the writers overwrote first. 0 when
    /// nothing was lost, and always 0 on channels whose writers wait for their readers.
    public let lostBefore: UInt64
}
