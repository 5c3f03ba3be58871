/// Checks every identification and geometry field of a mapped header before a client trusts
/// it, and says which one differs.
/// Package access: the fuzz targets (Sources/Fuzz) call it on arbitrary bytes.
package enum HeaderValidation {
    /// - Throws: `ChannelError.headerMismatch` naming the first field that is wrong.
    package static func validate(_ header: ChannelHeader, mappedSize: Int, channel: String) throws {
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
        guard header.state != nil else {
            throw mismatch("state", "0, 1 or 2", "unknown")
        }
        guard kind == .ring else {
            guard header.totalSize == UInt64(Layout.headerSize) else {
                throw mismatch("total size", "\(Layout.headerSize)", "\(header.totalSize)")
            }
            return
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
        let expectedTotal = Layout.ringSize(slotCount: slots, slotSize: slotSize)
        guard header.totalSize == UInt64(expectedTotal) else {
            throw mismatch("total size", "\(expectedTotal) for \(slots) slots of \(slotSize) bytes", "\(header.totalSize)")
        }
        guard mappedSize >= expectedTotal else {
            throw mismatch("segment size", "\(expectedTotal) bytes", "\(mappedSize) bytes")
        }
    }

    private static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16, uppercase: true)
    }
}
