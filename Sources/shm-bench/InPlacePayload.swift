#if canImport(Glibc)
import Glibc
#endif

/// The messages of the `in-place` transport: written and checked where they lie in the slot,
/// every byte of them, so that the rows measure zero-copy use with the bytes really touched.
///
/// Message `s` is its sequence number in its first 8 bytes, then the byte `s & 0xFF` repeated.
/// The reader checks the sequence and every later byte; a message that is wrong anywhere reads
/// as sequence `UInt64.max`, which the role counts as an error.
enum InPlacePayload {
    /// Fills `size` bytes at `slot` with message `sequence`.
    @inline(__always)
    static func fill(_ slot: UnsafeMutableRawPointer, size: Int, sequence: UInt64) {
        memset(slot, Int32(truncatingIfNeeded: sequence & 0xFF), size)
        slot.storeBytes(of: sequence, as: UInt64.self)
    }

    /// The sequence number of `message` when every byte of it is what `fill` wrote, or
    /// `UInt64.max`.
    @inline(__always)
    static func check(_ message: UnsafeRawBufferPointer) -> UInt64 {
        guard message.count >= 8, let base = message.baseAddress else { return .max }
        let sequence = base.loadUnaligned(as: UInt64.self)
        let pattern = UInt64(sequence & 0xFF) &* 0x0101_0101_0101_0101
        // OR of the differences, one branch at the end: the loop vectorizes and runs at the
        // speed the memory delivers.
        var difference: UInt64 = 0
        let words = (message.count - 8) / 8
        let body = base + 8
        for index in 0..<words {
            difference |= body.loadUnaligned(fromByteOffset: index &* 8, as: UInt64.self) ^ pattern
        }
        for offset in (8 + words * 8)..<message.count {
            difference |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self) ^ UInt8(truncatingIfNeeded: pattern))
        }
        return difference == 0 ? sequence : .max
    }
}
