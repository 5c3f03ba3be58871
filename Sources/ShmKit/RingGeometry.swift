/// The shape of a ring segment: how many slots of how many payload bytes. Fixed when the daemon
/// creates the channel; every process keeps its own copy, taken once (the daemon from its
/// config, a client from the header it validated), and never trusts the header for it again.
struct RingGeometry: Equatable, Sendable {
    let slotCount: Int
    let slotSize: Int

    /// Bytes from one slot's payload to the next.
    var stride: Int { Layout.slotStride(slotSize: slotSize) }

    /// Bytes of the whole segment.
    var totalSize: Int { Layout.ringSize(slotCount: slotCount, slotSize: slotSize) }
}
