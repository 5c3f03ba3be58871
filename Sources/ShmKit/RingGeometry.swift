/// The shape of a channel segment: how many clients its table records and, for a ring, how many
/// slots of how many payload bytes. Fixed when the daemon creates the channel; every process
/// keeps its own copy, taken once (the daemon from its config, a client from the header it
/// validated), and never trusts the header for it again.
struct ChannelGeometry: Equatable, Sendable {
    /// Entries in the client table (`max-clients`).
    let clientCapacity: Int
    /// The ring's shape, `nil` for a seed descriptor.
    let ring: RingGeometry?

    /// Bytes of the whole segment.
    var totalSize: Int { ring?.totalSize ?? Layout.seedDescriptorSize(clientCapacity: clientCapacity) }
}

/// The shape of a ring segment (see `ChannelGeometry`).
struct RingGeometry: Equatable, Sendable {
    let slotCount: Int
    let slotSize: Int
    /// Entries in the client table that comes before the slot descriptors.
    let clientCapacity: Int

    /// Bytes from one slot's payload to the next.
    var stride: Int { Layout.slotStride(slotSize: slotSize) }

    /// Where the slot descriptors start.
    var descriptorsOffset: Int { Layout.descriptorsOffset(clientCapacity: clientCapacity) }

    /// Bytes of the whole segment.
    var totalSize: Int { Layout.ringSize(slotCount: slotCount, slotSize: slotSize, clientCapacity: clientCapacity) }
}
