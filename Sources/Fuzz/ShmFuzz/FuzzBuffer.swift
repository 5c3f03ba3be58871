#if canImport(Glibc)
import Glibc
#endif

/// A page-aligned allocation standing in for a mapping: exactly `size` bytes, so that under
/// AddressSanitizer a read one byte past the end is reported, as it would fault past a mapping.
struct FuzzBuffer: ~Copyable {
    let base: UnsafeMutableRawPointer
    let size: Int

    /// `size` bytes, zero, with `input` copied to `offset` (as much as fits).
    init(size: Int, copying input: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), at offset: Int = 0) {
        var memory: UnsafeMutableRawPointer?
        // posix_memalign rather than aligned_alloc: no rule that the size be a multiple of a page.
        guard posix_memalign(&memory, 4096, max(size, 1)) == 0, let memory else {
            fatalError("posix_memalign of \(size) bytes failed")
        }
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let count = min(input.count, max(0, size - offset))
        if count > 0, let source = input.baseAddress {
            (memory + offset).copyMemory(from: source, byteCount: count)
        }
        self.base = memory
        self.size = size
    }

    deinit { free(base) }

    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: base, count: size)) }

    /// Whether `count` bytes at `pointer` lie inside the buffer.
    func contains(_ pointer: UnsafeRawPointer, count: Int) -> Bool {
        let offset = UnsafeRawPointer(base).distance(to: pointer)
        return offset >= 0 && count >= 0 && offset <= size && count <= size - offset
    }
}
