import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The folder of the peers' role programs (`--peer-roles`), which `make peer-roles` fills from
/// Sources/shm-bench/Roles: one program per product, built only where its Debian package is
/// installed, so that a missing one means a skipped peer, not a failed run.
struct PeerRoles {
    let directory: String

    /// The program that runs `transport`'s roles, and the package it needs.
    static func program(_ transport: Transport) -> (name: String, source: String, package: String) {
        switch transport {
        case .boostMQ: return ("boost_role", "boost_role.cpp", "libboost-dev")
        case .zmqPushPull, .zmqPair: return ("zmq_role", "zmq_role.c", "libzmq3-dev")
        default: return ("mq_role", "mq_role.c", "libc6-dev")
        }
    }

    func path(_ transport: Transport) -> String {
        directory + "/" + Self.program(transport).name
    }

    /// Why `transport` cannot run, or nil.
    func unavailable(_ transport: Transport) -> String? {
        guard !FileManager.default.isExecutableFile(atPath: path(transport)) else { return nil }
        let program = Self.program(transport)
        return
            "no \(path(transport)) (make peer-roles builds it from Sources/shm-bench/Roles/\(program.source) when \(program.package) is installed; make bench installs it as root)"
    }

    /// How many messages a queue of `transport` holds for messages of `size` bytes, in a
    /// measurement that opens `queues` of them: the shmd ring's slot count, the same depth for
    /// everyone, unless the peer's own limits allow fewer (POSIX mq).
    static func capacity(_ transport: Transport, size: Int, queues: Int) -> Int {
        let slots = BenchDaemon.slots(size: size)
        return transport == .posixMQ ? min(slots, PosixQueueLimits.capacity(size: size, queues: queues)) : slots
    }
}
