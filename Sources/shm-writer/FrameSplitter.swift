/// Cuts a byte stream into the messages of binary mode (`--binary`): frames, each a 4-byte
/// little-endian length and then that many bytes, whatever they are. A frame of length 0 is an
/// empty message; the stream must end where a frame ends (`finish` says what is missing if not).
///
/// Frames are handed out of the chunk they arrived in, without a copy, unless they began in an
/// earlier chunk. A frame longer than `limit` is reported as soon as its length is read, and
/// its bytes are skipped, never kept.
struct FrameSplitter {
    /// A complete frame.
    enum Frame {
        /// Its bytes, valid only during the call.
        case bytes(UnsafeRawBufferPointer)
        /// Its length field says `size` bytes, more than `limit`.
        case tooLong(size: Int)
    }

    /// Where a stream that ended inside a frame stopped.
    enum Truncation: Equatable {
        /// Inside the 4-byte length: `missing` of its bytes did not come.
        case length(missing: Int)
        /// Inside the bytes of a frame of `size` bytes: `missing` of them did not come.
        case payload(size: Int, missing: Int)

        /// How many bytes the stream lacks to end where a frame ends.
        var missing: Int {
            switch self {
            case let .length(missing): return missing
            case let .payload(_, missing): return missing
            }
        }
    }

    /// The size of a frame's length field.
    static let lengthSize = 4

    /// The most bytes a frame may have to be handed out (the channel's slot size).
    let limit: Int

    private enum State {
        /// Reading a length field: `have` of its bytes so far, which make `value`.
        case length(have: Int, value: UInt32)
        /// Reading the bytes of a frame of `size` bytes: `have` so far, kept in `pending`
        /// unless the frame is too long (`keep` false).
        case payload(size: Int, have: Int, keep: Bool)
    }

    private var state = State.length(have: 0, value: 0)
    /// The start of a frame that began in an earlier chunk.
    private var pending: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
        pending.reserveCapacity(min(limit, 1 << 16))
    }

    /// Hands each frame that ends in `chunk` to `frame`, in order, and keeps the unfinished rest.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ frame: (Frame) throws -> Void) rethrows {
        var offset = 0
        while offset < chunk.count {
            switch state {
            case .length(0, _) where chunk.count - offset >= Self.lengthSize:
                // The common case: a whole length field in the chunk, and often its frame too.
                let size = Int(UInt32(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                offset += Self.lengthSize
                if size <= limit && chunk.count - offset >= size {
                    try frame(.bytes(UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + size])))
                    offset += size
                } else {
                    try begin(size: size, frame)
                }
            case let .length(have, value):
                let value = value | UInt32(chunk[offset]) << (8 * have)
                offset += 1
                if have + 1 == Self.lengthSize {
                    try begin(size: Int(value), frame)
                } else {
                    state = .length(have: have + 1, value: value)
                }
            case let .payload(size, have, keep):
                let taken = min(size - have, chunk.count - offset)
                if keep { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + taken])) }
                offset += taken
                if have + taken < size {
                    state = .payload(size: size, have: have + taken, keep: keep)
                } else {
                    state = .length(have: 0, value: 0)
                    if keep {
                        defer { pending.removeAll(keepingCapacity: true) }
                        try pending.withUnsafeBytes { try frame(.bytes($0)) }
                    }
                }
            }
        }
    }

    /// At the end of the stream: `nil` when it ended where a frame ends, else what is missing.
    func finish() -> Truncation? {
        switch state {
        case .length(0, _): return nil
        case let .length(have, _): return .length(missing: Self.lengthSize - have)
        case let .payload(size, have, _): return .payload(size: size, missing: size - have)
        }
    }

    /// A length field was read whose frame did not fit in its chunk, or is too long.
    private mutating func begin(size: Int, _ frame: (Frame) throws -> Void) rethrows {
        if size > limit {
            state = .payload(size: size, have: 0, keep: false)
            try frame(.tooLong(size: size))
        } else if size == 0 {
            state = .length(have: 0, value: 0)
            try [UInt8]().withUnsafeBytes { try frame(.bytes($0)) }
        } else {
            state = .payload(size: size, have: 0, keep: true)
        }
    }
}
