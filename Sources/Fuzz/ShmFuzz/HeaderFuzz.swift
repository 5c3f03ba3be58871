import ShmKit

/// Header validation: the input is a whole segment, zero-padded to one header page, and its
/// size is the mapped size. `validate` must refuse with a `ChannelError` or accept; when it
/// accepts a ring, every descriptor and payload the geometry names must lie inside the segment,
/// and the target reads each of them to prove it (AddressSanitizer reports a read past the end).
enum HeaderFuzz {
    static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) {
        let segment = FuzzBuffer(size: max(input.count, Layout.headerSize), copying: input)
        let header = ChannelHeader(base: segment.base)
        let geometry: ChannelGeometry
        do {
            geometry = try HeaderValidation.validate(header, mappedSize: segment.size, channel: "fuzz")
        } catch let error as ChannelError {
            guard case .headerMismatch(let channel, let field, _, _) = error else {
                throw FuzzFailure("validate refused with \(error), not a header mismatch")
            }
            try require(channel == "fuzz" && !field.isEmpty, "the refusal names channel '\(channel)', field '\(field)'")
            return
        } catch {
            throw FuzzFailure("validate threw \(type(of: error)), not a ChannelError: \(error)")
        }
        try require(header.state != nil, "accepted an unknown state")
        let tableEnd = Layout.Offset.clients + geometry.clientCapacity * ClientTable.entrySize
        try require(tableEnd <= segment.size, "a client table of \(geometry.clientCapacity) entries passes the end of a \(segment.size)-byte segment")
        switch header.magic {
        case Layout.ringMagic:
            guard let ring = geometry.ring else { throw FuzzFailure("accepted a ring magic without a ring geometry") }
            try checkRing(Ring(header: header, geometry: ring), header, in: segment)
        case Layout.seedMagic:
            // Each name is its field's bytes up to the first NUL, or the whole field.
            let names = header.seedNames
            for (index, name) in [names.segment, names.semaphoreEmpty, names.semaphoreFull].enumerated() {
                let field = UnsafeRawBufferPointer(
                    start: header.base + Layout.Offset.seedNames + index * Layout.Offset.seedNameLength,
                    count: Layout.Offset.seedNameLength)
                let expected = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
                try require(name == expected, "seed name \(index) reads \(name.debugDescription), its field holds \(expected.debugDescription)")
            }
        default: throw FuzzFailure("accepted magic 0x\(String(header.magic, radix: 16))")
        }
    }

    /// What a client does with an accepted ring: it trusts the geometry `validate` returned.
    private static func checkRing(_ ring: Ring, _ header: ChannelHeader, in segment: borrowing FuzzBuffer) throws(FuzzFailure) {
        let slots = Int(ring.slotCount)
        try require(slots >= 1, "accepted a ring of \(slots) slots")
        try require(ring.stride >= ring.slotSize, "slot stride \(ring.stride) is less than slot size \(ring.slotSize)")
        let descriptorBytes = slots * Layout.slotDescriptorSize
        try require(
            UnsafeRawPointer(ring.descriptors) >= UnsafeRawPointer(header.base + Layout.Offset.clients + Int(header.clientCapacity) * ClientTable.entrySize),
            "descriptors start inside the header page or the client table")
        try require(
            segment.contains(ring.descriptors, count: descriptorBytes),
            "\(slots) descriptors at offset \(segment.base.distance(to: ring.descriptors)) pass the end of a \(segment.size)-byte segment")
        try require(
            UnsafeRawPointer(ring.payloads) >= UnsafeRawPointer(ring.descriptors + descriptorBytes),
            "payloads overlap the descriptors")
        let lastPayload = ring.payloads + (slots - 1) * ring.stride
        try require(
            segment.contains(lastPayload, count: ring.slotSize),
            "the last payload (\(ring.slotSize) bytes at offset \(segment.base.distance(to: lastPayload))) passes the end of a \(segment.size)-byte segment")
        var sum: UInt64 = 0
        for ticket in 0..<UInt64(slots) {
            sum &+= UInt64(bitPattern: ring.phase(ticket))
            let payload = ring.payload(ticket)
            try require(payload.count == ring.slotSize, "payload of \(payload.count) bytes, slot size \(ring.slotSize)")
            sum &+= UInt64(payload[0]) &+ UInt64(payload[payload.count - 1])
            if let message = ring.message(ticket), !message.isEmpty {
                try require(message.count <= ring.slotSize, "message of \(message.count) bytes in a \(ring.slotSize)-byte slot")
                sum &+= UInt64(message[message.count - 1])
            }
        }
        // Keeps the reads above from being optimized away.
        blackHole(sum)
    }

    // MARK: seeds

    static func seeds() -> [Seed] {
        var seeds: [Seed] = [
            Seed("ring-fast-4x16", ring(slots: 4, slotSize: 16, proto: .fast)),
            Seed("ring-classic-1x64", ring(slots: 1, slotSize: 64, proto: .classic)),
            Seed("ring-fast-3x100", ring(slots: 3, slotSize: 100, proto: .fast)),
            Seed("seed-descriptor", seedDescriptor()),
        ]
        let valid = ring(slots: 4, slotSize: 16, proto: .fast)
        seeds.append(Seed("truncated-header-page-only", Array(valid[..<Layout.headerSize])))
        seeds.append(Seed("truncated-64-bytes", Array(valid[..<64])))
        seeds.append(Seed("bad-magic", patched(valid, at: Layout.Offset.magic, UInt64(0x0123_4567_89AB_CDEF))))
        seeds.append(Seed("bad-version", patched(valid, at: Layout.Offset.version, Layout.version &+ 1)))
        seeds.append(Seed("bad-header-size", patched(valid, at: Layout.Offset.headerSize, UInt32(8192))))
        seeds.append(Seed("bad-slot-stride", patched(valid, at: Layout.Offset.slotStride, UInt32(16))))
        seeds.append(Seed("bad-total-size", patched(valid, at: Layout.Offset.totalSize, UInt64(1 << 40))))
        seeds.append(Seed("bad-state", patched(valid, at: Layout.Offset.state, UInt32(9))))
        seeds.append(Seed("seed-kind-with-ring-magic", patched(valid, at: Layout.Offset.kind, ChannelKind.seed.rawValue)))
        seeds.append(Seed("ring-fanout-drop-4x16", patched(valid, at: Layout.Offset.delivery, Delivery.fanout(.drop).rawValue)))
        seeds.append(Seed("bad-delivery", patched(valid, at: Layout.Offset.delivery, UInt32(7))))
        let classic = ring(slots: 1, slotSize: 64, proto: .classic)
        seeds.append(Seed("classic-fanout", patched(classic, at: Layout.Offset.delivery, Delivery.fanout(.block).rawValue)))
        return seeds
    }

    /// A ring segment as the daemon makes it, every slot free; fixed owner and times, no boot
    /// id, so that the seed files do not change from one run to the next.
    static func ring(slots: Int, slotSize: Int, proto: ChannelProtocol) -> [UInt8] {
        let clients = Layout.defaultClientCapacity
        let size = Layout.ringSize(slotCount: slots, slotSize: slotSize, clientCapacity: clients)
        let segment = FuzzBuffer(size: size)
        let header = ChannelHeader(base: segment.base)
        header.initialize(
            magic: Layout.ringMagic, kind: .ring, slotCount: slots, slotSize: slotSize, protocol: proto,
            totalSize: size, clientCapacity: clients, daemon: seedDaemon, generation: 1, createdAt: seedTime)
        clearBootID(header)
        Ring(header: header).initializeSequences()
        header.setState(.open)
        return segment.bytes
    }

    private static func seedDescriptor() -> [UInt8] {
        let clients = Layout.defaultClientCapacity
        let size = Layout.seedDescriptorSize(clientCapacity: clients)
        let segment = FuzzBuffer(size: size)
        let header = ChannelHeader(base: segment.base)
        header.initialize(
            magic: Layout.seedMagic, kind: .seed, slotCount: 1, slotSize: Layout.seedBufferSize - 1,
            protocol: .classic, totalSize: size, clientCapacity: clients, daemon: seedDaemon, generation: 1,
            createdAt: seedTime)
        clearBootID(header)
        header.storeSeedNames(segment: "/my_shm", semaphoreEmpty: "/sem_empty", semaphoreFull: "/sem_full")
        header.setState(.open)
        return segment.bytes
    }

    static let seedDaemon = ProcessIdentity(pid: 4242, startTime: 1)
    static let seedTime: UInt64 = 1_700_000_000_000_000_000

    static func clearBootID(_ header: ChannelHeader) {
        (header.base + Layout.Offset.bootID).initializeMemory(as: UInt8.self, repeating: 0, count: 16)
    }
}

/// `bytes` with `value` stored little-endian at `offset`.
func patched<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, _ value: T) -> [UInt8] {
    var copy = bytes
    copy.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    return copy
}

@inline(never)
func blackHole<T>(_ value: T) {}
