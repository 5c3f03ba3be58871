import Testing
@testable import ShmKit

@Suite("segment layout")
struct LayoutTests {
    @Test("slots are cache-line aligned and hold header plus payload")
    func stride() {
        #expect(Layout.slotStride(slotSize: 1) == 64)
        #expect(Layout.slotStride(slotSize: 48) == 64)
        #expect(Layout.slotStride(slotSize: 49) == 128)
        #expect(Layout.slotStride(slotSize: 1024) == 1088)
        #expect(Layout.ringSize(slotCount: 64, slotSize: 1024) == 4096 + 64 * 1088)
    }

    @Test("header fields do not overlap and fit the header page")
    func headerFields() {
        #expect(Layout.Offset.createdAt + 8 <= Layout.Offset.counters)
        #expect(Layout.Offset.counters + 8 * ChannelHeader.Counter.allCases.count <= Layout.Offset.writeCursor)
        // Cursors and waiter counts each own a cache line.
        let lines = [Layout.Offset.writeCursor, Layout.Offset.readCursor, Layout.Offset.writersWaiting, Layout.Offset.readersWaiting]
        #expect(lines.allSatisfy { $0 % Layout.cacheLine == 0 })
        #expect(Set(lines.map { $0 / Layout.cacheLine }).count == lines.count)
        #expect(Layout.Offset.readersWaiting + Layout.cacheLine <= Layout.Offset.seedNames)
        #expect(Layout.Offset.seedNames + 3 * Layout.Offset.seedNameLength <= Layout.Offset.clients)
        #expect(Layout.Offset.clients + ClientTable.capacity * ClientTable.entrySize <= Layout.headerSize)
    }

    @Test("magic numbers spell SHMDRING and SHMDSEED in memory")
    func magic() {
        #expect(withUnsafeBytes(of: Layout.ringMagic.littleEndian) { String(decoding: $0, as: UTF8.self) } == "SHMDRING")
        #expect(withUnsafeBytes(of: Layout.seedMagic.littleEndian) { String(decoding: $0, as: UTF8.self) } == "SHMDSEED")
    }
}
