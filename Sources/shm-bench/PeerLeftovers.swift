import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the peers' roles leave when they are killed before they removed their names (the roles
/// remove them once the start barrier has passed): Boost's queues in /dev/shm, POSIX queues,
/// and ZeroMQ's ipc:// socket files, all named after the run's prefix, so that removing them
/// never touches another program's.
enum PeerLeftovers {
    /// The names of every peer queue of the run: PREFIX.CHANNEL, for each size and direction.
    static func queueNames(prefix: String, sizes: [Int]) -> [String] {
        sizes.flatMap { size in
            [Transport.boostMQ, .posixMQ].flatMap { transport in
                [BenchDaemon.channel(transport, size), BenchDaemon.replyChannel(transport, size)].map { "\(prefix).\($0)" }
            }
        }
    }

    /// The folder of ZeroMQ's ipc:// socket files (zmq_role.c: $TMPDIR or /tmp).
    static func zmqFolder(prefix: String) -> String {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(tmp)/\(prefix)-zmq"
    }

    /// glibc's mq_unlink, which Swift's Glibc module does not import (mqueue.h is not in it).
    static let unlinkQueue: (@convention(c) (UnsafePointer<CChar>) -> Int32)? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mq_unlink")
        .map { unsafeBitCast($0, to: (@convention(c) (UnsafePointer<CChar>) -> Int32).self) }

    /// Every file and POSIX queue a peer of the run may leave, and ZeroMQ's folder, which goes
    /// once its socket files have.
    static func names(prefix: String, sizes: [Int]) -> (files: [String], queues: [String], folder: String) {
        let folder = zmqFolder(prefix: prefix)
        let sockets = sizes.flatMap { size in
            [Transport.zmqPushPull, .zmqPair].flatMap { [BenchDaemon.channel($0, size), BenchDaemon.replyChannel($0, size)] }
        }
        let queues = queueNames(prefix: prefix, sizes: sizes)
        return (queues.map { "/dev/shm/" + $0 } + sockets.map { folder + "/" + $0 }, queues.map { "/" + $0 }, folder)
    }

    static func remove(prefix: String, sizes: [Int]) {
        let names = names(prefix: prefix, sizes: sizes)
        for file in names.files { unlink(file) }
        for queue in names.queues { _ = unlinkQueue?(queue) }
        try? FileManager.default.removeItem(atPath: names.folder)
    }
}
