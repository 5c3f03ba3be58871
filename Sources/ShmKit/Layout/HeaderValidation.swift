/// Checks every identification and geometry field of a mapped header before a client trusts
/// it, and says which one differs.
/// Package access: the fuzz targets (Sources/Fuzz) call it on arbitrary bytes.
package enum HeaderValidation {
    /// - Returns: the geometry as validated. Callers keep this copy: the header can be rewritten
    ///   by any process with write access right after.
    /// - Throws: `ChannelError.headerMismatch` naming the first field that is wrong.
    @discardableResult
    package static func validate(_ header: ChannelHeader, mappedSize: Int, channel: String) throws -> ChannelGeometry {
        func mismatch(_ field: String, _ expected: String, _ found: String) -> ChannelError {
            .headerMismatch(channel: channel, field: field, expected: expected, found: found)
        }
        guard mappedSize >= Layout.headerSize else {
            throw mismatch("segment size", "at least \(Layout.headerSize) bytes", "\(mappedSize) bytes")
        }
        let kind: ChannelKind
        switch header.magic {
        case Layout.ringMagic: kind = .ring
        case Layout.seedMagic: kind = .seed
        default: throw mismatch("magic", "SHMDRING or SHMDSEED", hex(header.magic))
        }
        guard header.version == Layout.version else {
            throw mismatch("layout version", "\(Layout.version)", "\(header.version)")
        }
        guard header.wordSize == MemoryLayout<Int>.size else {
            throw mismatch("word size", "\(MemoryLayout<Int>.size)", "\(header.wordSize)")
        }
        guard header.headerSize == Layout.headerSize else {
            throw mismatch("header size", "\(Layout.headerSize)", "\(header.headerSize)")
        }
        guard header.kindRaw == kind.rawValue else {
            throw mismatch("kind", "\(kind.rawValue) for its magic", "\(header.kindRaw)")
        }
        guard ChannelProtocol(rawValue: header.protocolRaw) != nil else {
            throw mismatch("protocol", ChannelProtocol.allCases.map { "\($0.rawValue)" }.joined(separator: " or "), "\(header.protocolRaw)")
        }
        // Fan-out exists for the fast protocol only: a classic client would take a fan-out ring
        // for a queue and free slots other readers still have to read.
        let delivery = Delivery(rawValue: header.deliveryRaw)
        guard delivery == .queue || (delivery != nil && header.protocolRaw == ChannelProtocol.fast.rawValue && kind == .ring) else {
            throw mismatch("delivery", "0 (queue), or 1 or 2 (fanout) on a fast ring", "\(header.deliveryRaw)")
        }
        guard header.state != nil else {
            throw mismatch("state", "0, 1, 2 or 3", "\(header.stateRaw)")
        }
        let clients = Int(header.clientCapacity)
        guard Layout.clientCapacityRange.contains(clients) else {
            throw mismatch("client capacity", "\(Layout.clientCapacityRange)", "\(clients)")
        }
        guard kind == .ring else {
            let expectedTotal = Layout.seedDescriptorSize(clientCapacity: clients)
            guard header.totalSize == UInt64(expectedTotal) else {
                throw mismatch("total size", "\(expectedTotal)", "\(header.totalSize)")
            }
            guard mappedSize >= expectedTotal else {
                throw mismatch("segment size", "\(expectedTotal) bytes", "\(mappedSize) bytes")
            }
            return ChannelGeometry(clientCapacity: clients, ring: nil)
        }
        let slots = Int(header.slotCount)
        let slotSize = Int(header.slotSize)
        guard Layout.slotCountRange.contains(slots) else {
            throw mismatch("slot count", "\(Layout.slotCountRange)", "\(slots)")
        }
        guard Layout.slotSizeRange.contains(slotSize) else {
            throw mismatch("slot size", "\(Layout.slotSizeRange)", "\(slotSize)")
        }
        guard Int(header.slotStride) == Layout.slotStride(slotSize: slotSize) else {
            throw mismatch("slot stride", "\(Layout.slotStride(slotSize: slotSize))", "\(header.slotStride)")
        }
        let ring = RingGeometry(slotCount: slots, slotSize: slotSize, clientCapacity: clients)
        let expectedTotal = ring.totalSize
        guard header.totalSize == UInt64(expectedTotal) else {
            throw mismatch("total size", "\(expectedTotal) for \(slots) slots of \(slotSize) bytes and \(clients) clients", "\(header.totalSize)")
        }
        guard mappedSize >= expectedTotal else {
            throw mismatch("segment size", "\(expectedTotal) bytes", "\(mappedSize) bytes")
        }
        return ChannelGeometry(clientCapacity: clients, ring: ring)
    }

    private static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16, uppercase: true)
    }
}
