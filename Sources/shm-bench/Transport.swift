/// What carries the messages in one measurement.
enum Transport: String, CaseIterable, Codable {
    /// A shmd ring channel with the fast protocol.
    case fast
    /// A shmd ring channel with the seed's protocol over N slots.
    case classic
    /// A shmd channel in the seed's own layout: one 1024-byte buffer, so only messages < 1024 B.
    case seed
    case pipe
    case socketpair
    /// The C lock-free ring of the reference baselines (spsc.c, busy-poll), when given with --spsc.
    case cRing = "c-ring"

    var usesShmd: Bool { self == .fast || self == .classic || self == .seed }

    /// The seed layout carries C strings, so the payload is text there.
    var textual: Bool { self == .seed }

    func supports(size: Int) -> Bool {
        self == .seed ? size < 1024 : true
    }

    var label: String {
        switch self {
        case .fast: return "shmd fast"
        case .classic: return "shmd classic"
        case .seed: return "shmd seed layout"
        case .pipe: return "pipe(2)"
        case .socketpair: return "unix socketpair"
        case .cRing: return "C lock-free ring (spsc.c)"
        }
    }
}

/// The sequence number each message carries, so the reader checks order and integrity.
enum Payload {
    static let filler: UInt8 = 0x78 // 'x': printable, for the seed layout's C strings

    /// Writes `sequence` at the start of `buffer[0..<size]` and fills the rest.
    @inline(__always)
    static func stamp(_ sequence: UInt64, into buffer: UnsafeMutableRawBufferPointer, size: Int, textual: Bool) {
        if textual {
            var value = sequence
            for index in stride(from: 15, through: 0, by: -1) {
                buffer[index] = hexDigits[Int(value & 0xF)]
                value >>= 4
            }
        } else {
            buffer.storeBytes(of: sequence, as: UInt64.self)
        }
    }

    @inline(__always)
    static func sequence(in buffer: UnsafeRawBufferPointer, textual: Bool) -> UInt64 {
        guard buffer.count >= 16 || (!textual && buffer.count >= 8) else { return .max }
        if !textual { return buffer.loadUnaligned(as: UInt64.self) }
        var value: UInt64 = 0
        for index in 0..<16 {
            let byte = buffer[index]
            let digit = byte >= 0x61 ? byte - 0x61 + 10 : byte - 0x30
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// A template message of `size` bytes: stamped in place later.
    static func template(size: Int) -> [UInt8] {
        [UInt8](repeating: filler, count: size)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
