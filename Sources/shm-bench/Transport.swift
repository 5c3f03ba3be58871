/// What carries the messages in one measurement.
enum Transport: String, CaseIterable, Codable {
    /// A shmd ring channel with the fast protocol.
    case fast
    /// A shmd ring channel with the fast protocol and fan-out delivery (`delivery = "fanout"`,
    /// `slow-reader = "block"`), one writer and `--fanout-readers` readers, each of which
    /// receives and checks every message: what publish/subscribe costs.
    case fanout
    /// A fast channel used in place on both sides (issue 14's zero-copy rows): the writer fills
    /// the claimed slot itself and the reader checks every byte of the message where it lies,
    /// neither copying it anywhere else, as iceoryx's loan API is used.
    case inPlace = "in-place"
    /// A shmd ring channel with the seed's protocol over N slots.
    case classic
    /// A shmd channel in the seed's own layout: one 1024-byte buffer, so only messages < 1024 B.
    case seed
    case pipe
    case socketpair
    /// The C lock-free ring of the reference baselines (spsc.c, busy-poll), when given with --spsc.
    case cRing = "c-ring"
    /// The same ring with 16 slots: its working set fits the caches at every size, which is
    /// worth up to 1.9× at 64 B and 1 KiB (issue 14), so its figure stands beside the 256-slot one.
    case cRingSmall = "c-ring-16"
    /// A fast channel driven by a C program over libshmkit (Roles/shmkit_role.c, `--c-role`).
    case c
    /// A fast channel driven by the Python package `shmkit` (python/bench/roles.py, `--python-roles`).
    case python
    /// iceoryx2's own Python binding, publish-subscribe with lossless settings (`--python-roles`).
    case iceoryx2Python = "iceoryx2-python"
    /// Python's `multiprocessing.Queue` between a process and its forked child (`--python-roles`).
    case multiprocessingQueue = "mp-queue"
    /// iceoryx 2.0.3 publish/subscribe through its C binding, zero-copy loans, lossless settings,
    /// busy-polling subscribers (Roles/iceoryx_role.c, `--iceoryx-role`), under a RouDi that
    /// shm-bench starts; one publisher and `--fanout-readers` subscribers.
    case iceoryx
    /// The same, with each subscriber copying every chunk out and checking the copy, as shmd's
    /// fast reader does (`--transports iceoryx-copy`, one subscriber): the like-for-like peer of
    /// a copying reader. The plain `iceoryx` reader reads 8 bytes of each message, so at 64 KiB
    /// its payload never crosses cores.
    case iceoryxCopy = "iceoryx-copy"
    /// Boost.Interprocess `message_queue` in /dev/shm (Roles/boost_role.cpp, `--peer-roles`).
    case boostMQ = "boost-mq"
    /// ZeroMQ PUSH/PULL sockets over ipc:// (Roles/zmq_role.c, `--peer-roles`).
    case zmqPushPull = "zmq-pushpull"
    /// A ZeroMQ PAIR socket over ipc://, both directions on one socket (Roles/zmq_role.c).
    case zmqPair = "zmq-pair"
    /// POSIX message queues, mq_send/mq_receive (Roles/mq_role.c, `--peer-roles`).
    case posixMQ = "posix-mq"

    /// The products users would pick instead of shmd (issue 14), each run by a role program of
    /// its own in the `--peer-roles` folder.
    static let peers: [Transport] = [.boostMQ, .zmqPushPull, .zmqPair, .posixMQ]

    /// The transports whose channels shmd hosts.
    var usesShmd: Bool { channelProtocol != nil || self == .seed }

    /// The protocol of its ring channels, for the transports on ring channels.
    var channelProtocol: String? {
        switch self {
        case .fast, .fanout, .inPlace, .c, .python: return "fast"
        case .classic: return "classic"
        default: return nil
        }
    }

    /// Who runs its roles: shm-bench itself, a program of another language, or (c-ring) one
    /// baseline program for both sides.
    var roles: RoleProgram {
        switch self {
        case .fast, .fanout, .inPlace, .classic, .seed, .pipe, .socketpair: return .swift
        case .cRing, .cRingSmall: return .baseline
        case .c: return .c
        case .python, .iceoryx2Python, .multiprocessingQueue: return .python
        case .iceoryx, .iceoryxCopy: return .iceoryx
        case .boostMQ, .zmqPushPull, .zmqPair, .posixMQ: return .peer
        }
    }

    /// Every reader gets every message, so a throughput case may have several readers
    /// (`--fanout-readers`).
    var fansOut: Bool { self == .fanout || self == .iceoryx }

    /// Its writer (or ping) role starts the reader (or pong) itself, as a forked child: a
    /// `multiprocessing.Queue` reaches no process but one forked from its creator.
    var forksItsPeer: Bool { self == .multiprocessingQueue }

    /// Whether its writer can space its messages at `--pace` (shm-bench's own roles and the C
    /// role programs; the C ring and the Python roles cannot).
    var canPace: Bool { [.swift, .c, .iceoryx, .peer].contains(roles) }

    /// The seed layout carries C strings, so the payload is text there.
    var textual: Bool { self == .seed }

    func supports(size: Int) -> Bool {
        self == .seed ? size < 1024 : true
    }

    var label: String {
        switch self {
        case .fast: return "shmd fast"
        case .fanout: return "shmd fanout"
        case .inPlace: return "shmd fast, in place"
        case .classic: return "shmd classic"
        case .seed: return "shmd seed layout"
        case .pipe: return "pipe(2)"
        case .socketpair: return "unix socketpair"
        case .cRing: return "C lock-free ring (spsc.c)"
        case .cRingSmall: return "C ring, 16 slots"
        case .c: return "shmd fast, C (libshmkit)"
        case .python: return "shmd fast, Python"
        case .iceoryx2Python: return "iceoryx2 0.10 Python"
        case .multiprocessingQueue: return "multiprocessing.Queue"
        case .iceoryx: return "iceoryx 2.0.3 C"
        case .iceoryxCopy: return "iceoryx 2.0.3 C, copied out"
        case .boostMQ: return "Boost.Interprocess mq"
        case .zmqPushPull: return "ZeroMQ PUSH/PULL ipc"
        case .zmqPair: return "ZeroMQ PAIR ipc"
        case .posixMQ: return "POSIX mq"
        }
    }
}

/// The program a transport's roles run in.
enum RoleProgram {
    /// `shm-bench role`, this executable (or the `--compare` build's).
    case swift
    /// `--c-role`: the C role program over libshmkit.
    case c
    /// `--python-roles`: the Python role script, run by `--python`.
    case python
    /// spsc.c, both sides in one program (`--spsc`).
    case baseline
    /// `--iceoryx-role`: the C role program over iceoryx's C binding.
    case iceoryx
    /// `--peer-roles`: a peer's role program (`PeerRoles`).
    case peer
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
