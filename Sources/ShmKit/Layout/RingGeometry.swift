/// The shape of a channel segment: how many clients its table records and, for a ring, how many
/// slots of how many payload bytes. Fixed when the daemon creates the channel; every process
/// keeps its own copy, taken once (the daemon from its config, a client from the header it
/// validated), and never trusts the header for it again. Package access: the fuzz targets
/// read what `HeaderValidation` accepted.
package struct ChannelGeometry: Equatable, Sendable {
    /// Entries in the client table (`max-clients`).
    package let clientCapacity: Int
    /// The ring's shape, `nil` for a seed descriptor.
    package let ring: RingGeometry?

    /// Bytes of the whole segment.
    package var totalSize: Int { ring?.totalSize ?? Layout.seedDescriptorSize(clientCapacity: clientCapacity) }

    package init(clientCapacity: Int, ring: RingGeometry?) {
        self.clientCapacity = clientCapacity
        self.ring = ring
    }
}

/// The shape of a ring segment (see `ChannelGeometry`).
package struct RingGeometry: Equatable, Sendable {
    package let slotCount: Int
    package let slotSize: Int
    /// Entries in the client table that comes before the slot descriptors.
    package let clientCapacity: Int

    package init(slotCount: Int, slotSize: Int, clientCapacity: Int) {
        self.slotCount = slotCount
        self.slotSize = slotSize
        self.clientCapacity = clientCapacity
    }

    /// Bytes from one slot's payload to the next.
    package var stride: Int { Layout.slotStride(slotSize: slotSize) }

    /// Where the slot descriptors start.
    package var descriptorsOffset: Int { Layout.descriptorsOffset(clientCapacity: clientCapacity) }

    /// Bytes of the whole segment.
    package var totalSize: Int { Layout.ringSize(slotCount: slotCount, slotSize: slotSize, clientCapacity: clientCapacity) }
}
