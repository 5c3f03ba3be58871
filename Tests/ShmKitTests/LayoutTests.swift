import Testing

@testable import ShmHost
@testable import ShmKit

@Suite("segment layout")
struct LayoutTests {
    @Test("payloads are cache-line aligned; a 64-byte message fills exactly one line")
    func stride() {
        #expect(Layout.slotStride(slotSize: 1) == 64)
        #expect(Layout.slotStride(slotSize: 64) == 64)
        #expect(Layout.slotStride(slotSize: 65) == 128)
        #expect(Layout.slotStride(slotSize: 1024) == 1024)
        #expect(Layout.descriptorsSize(slotCount: 64) == 4096)
        #expect(Layout.descriptorsSize(slotCount: 257) == 8192)
        // Header page, a page of 64 client entries, a page of descriptors, the payloads.
        #expect(Layout.ringSize(slotCount: 64, slotSize: 1024, clientCapacity: 64) == 4096 + 4096 + 4096 + 64 * 1024)
        #expect(Layout.ringSize(slotCount: 64, slotSize: 1024, clientCapacity: 65) == 4096 + 8192 + 4096 + 64 * 1024)
    }

    @Test("a failed wake-up is counted in the header, in a word of its own; a successful one is not")
    func failedWakeupsAreCounted() throws {
        let scratch = try ScratchChannel(.ring(slots: 2, slotSize: 16, protocol: .fast))
        let header = scratch.hosted.header
        header.wake {}
        #expect(header.failedWakeups.load(ordering: .relaxed) == 0)
        header.wake { throw SystemCallError(call: "sem_post", object: "/x", errno: .invalidArgument) }
        header.wake { throw SystemCallError(call: "sem_post", object: "/x", errno: .invalidArgument) }
        #expect(header.failedWakeups.load(ordering: .relaxed) == 2)
        #expect(header.base.load(fromByteOffset: Layout.Offset.failedWakeups, as: UInt64.self) == 2)
        #expect(Layout.Offset.restoredWrite + 8 <= Layout.Offset.failedWakeups && Layout.Offset.failedWakeups + 8 <= Layout.Offset.writeCursor)
        #expect(ChannelCounter.allCases.allSatisfy { header.counter($0) == 0 })
    }

    @Test("descriptors and payloads of a ring do not overlap and fit the segment")
    func ringRegions() throws {
        for (slots, size) in [(1, 1), (3, 100), (64, 64), (257, 4096)] {
            let scratch = try ScratchChannel(.ring(slots: slots, slotSize: size, protocol: .fast))
            let ring = Ring(header: scratch.hosted.header)
            let base = scratch.hosted.header.base
            let clientsEnd = Layout.Offset.clients + Layout.clientTableSize(clientCapacity: scratch.hosted.spec.clientCapacity)
            #expect(ring.descriptor(0) - base >= clientsEnd)
            let lastDescriptor = ring.descriptor(UInt64(slots - 1)) - base
            #expect(lastDescriptor + Layout.slotDescriptorSize <= ring.payloads - base)
            #expect((ring.payloads - base) % Layout.pageSize == 0)
            let last = ring.payload(UInt64(slots - 1))
            #expect(last.baseAddress! - base + last.count <= Int(scratch.hosted.header.totalSize))
            #expect(ring.payload(1).baseAddress! - ring.payload(0).baseAddress! == (slots == 1 ? 0 : Layout.slotStride(slotSize: size)))
        }
    }

    @Test("header fields do not overlap and fit the header page")
    func headerFields() {
        #expect(Layout.Offset.createdAt + 8 <= Layout.Offset.counters)
        // Eight counters in the counters block; `lost` (fan-out) came later and has a word after it.
        #expect(Layout.Offset.counters + 8 * ChannelCounter.deadClients.rawValue + 8 <= Layout.Offset.restoredRead)
        #expect(Layout.Offset.restoredWrite + 8 <= Layout.Offset.failedWakeups)
        #expect(Layout.Offset.failedWakeups + 8 <= Layout.Offset.lost && Layout.Offset.lost + 8 <= Layout.Offset.joins)
        #expect(Layout.Offset.joins + 8 <= Layout.Offset.writeCursor)
        #expect(Layout.Offset.stuckAfter + 8 <= Layout.Offset.delivery && Layout.Offset.delivery + 4 <= Layout.Offset.counters)
        // Cursors and waiter counts each own a cache line.
        let lines = [Layout.Offset.writeCursor, Layout.Offset.readCursor, Layout.Offset.writersWaiting, Layout.Offset.readersWaiting]
        #expect(lines.allSatisfy { $0 % Layout.cacheLine == 0 })
        #expect(Set(lines.map { $0 / Layout.cacheLine }).count == lines.count)
        #expect(Layout.Offset.readersWaiting + Layout.cacheLine <= Layout.Offset.seedNames)
        #expect(Layout.Offset.seedNames + 3 * Layout.Offset.seedNameLength <= Layout.headerSize)
        // The client table has a region of its own after the header page.
        #expect(Layout.Offset.clients == Layout.headerSize)
        #expect(Layout.Offset.createdAt + 8 <= Layout.Offset.clientCapacity && Layout.Offset.clientCapacity + 4 <= Layout.Offset.spinNanoseconds)
    }

    @Test("magic numbers spell SHMDRING and SHMDSEED in memory")
    func magic() {
        #expect(withUnsafeBytes(of: Layout.ringMagic.littleEndian) { String(decoding: $0, as: UTF8.self) } == "SHMDRING")
        #expect(withUnsafeBytes(of: Layout.seedMagic.littleEndian) { String(decoding: $0, as: UTF8.self) } == "SHMDSEED")
    }
}
