import Logging
import ShmKit

/// The channels the daemon holds, by name: created together, closed and unlinked together.
public final class ChannelRegistry: @unchecked Sendable {
    public private(set) var channels: [HostedChannel] = []
    private let prefix: String
    private let logger: Logger
    private let identity = ProcessIdentity.current

    public init(prefix: String, logger: Logger) {
        self.prefix = prefix
        self.logger = logger
    }

    /// Creates every channel of `specs`, in order. On the first failure, removes the ones already
    /// created and throws, so that a failed start leaves nothing in /dev/shm.
    ///
    /// - Throws: `DaemonError.channelCreation` or `.invalidChannel`.
    public func createAll(_ specs: [ChannelSpec]) throws {
        for spec in specs {
            do {
                try create(spec)
            } catch {
                removeAll()
                throw error
            }
        }
    }

    private func create(_ spec: ChannelSpec) throws {
        let (channel, leftovers): (HostedChannel, [HostedChannel.Leftover])
        do {
            (channel, leftovers) = try HostedChannel.create(spec: spec, prefix: prefix, daemon: identity, generation: 1)
        } catch let error as SystemCallError {
            throw DaemonError.channelCreation(channel: spec.name, error)
        } catch let error as ChannelError {
            throw DaemonError.invalidChannel(error)
        }
        for leftover in leftovers {
            logger.warning("removed leftover object \(leftover.object.path) of an earlier run",
                           metadata: ["channel": "\(spec.name)", "object": "\(leftover.object.name)"])
        }
        channels.append(channel)
        logger.info("channel \(spec.name) created: \(describe(spec))", metadata: [
            "channel": "\(spec.name)", "event": "created",
            "objects": "\((try? spec.objects(prefix: prefix).map(\.name).joined(separator: ",")) ?? "")",
        ])
    }

    /// Closes every channel (waking its blocked clients), then unlinks its objects.
    public func removeAll() {
        for channel in channels { channel.close() }
        for channel in channels.reversed() {
            let undelivered = channel.undelivered
            let failures = channel.unlink()
            for failure in failures {
                logger.error("could not remove \(failure.object): \(failure)", metadata: ["channel": "\(channel.spec.name)"])
            }
            var metadata: Logger.Metadata = ["channel": "\(channel.spec.name)", "event": "removed"]
            if undelivered > 0 {
                metadata["undelivered"] = "\(undelivered)"
                logger.warning("channel \(channel.spec.name) removed with \(undelivered) undelivered messages", metadata: metadata)
            } else {
                logger.info("channel \(channel.spec.name) removed", metadata: metadata)
            }
        }
        channels.removeAll()
    }

    /// One line for `STATUS=`: channels, attached clients, messages moved.
    public var status: String {
        let clients = channels.reduce(0) { $0 + $1.clients.count }
        let moved = channels.reduce(UInt64(0)) { $0 + $1.header.counter(.read) }
        let names = channels.map(\.spec.name).joined(separator: ", ")
        return "\(channels.count) channel\(channels.count == 1 ? "" : "s") (\(names)), \(clients) client\(clients == 1 ? "" : "s") attached, \(moved) messages delivered"
    }

    private func describe(_ spec: ChannelSpec) -> String {
        switch spec.layout {
        case let .ring(slots, slotSize, proto):
            let spin = proto == .fast ? " (spin \(spec.spinNanoseconds / 1000) µs)" : ""
            return "ring of \(slots) slots × \(slotSize) bytes, \(proto) protocol\(spin), mode \(String(spec.permissions.mode, radix: 8))"
        case let .seed(segment, empty, full):
            return "seed layout in \(segment) with \(empty) and \(full), mode \(String(spec.permissions.mode, radix: 8))"
        }
    }
}
