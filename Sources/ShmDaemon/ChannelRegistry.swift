import Logging
import ShmHost
import ShmKit

/// The channels the daemon holds, by name: created together at start, added and removed one by
/// one on reload, closed and unlinked together at stop.
///
/// Not thread-safe: the daemon's loop is its only user.
package final class ChannelRegistry {
    package private(set) var channels: [HostedChannel] = []
    /// The spec each channel runs with now: its creation spec, with permissions a reload applied.
    private var applied: [String: ChannelSpec] = [:]
    package let prefix: String
    private let logger: Logger
    private let identity = ProcessIdentity.current

    package init(prefix: String, logger: Logger) {
        self.prefix = prefix
        self.logger = logger
    }

    /// Channels taken over from a dead daemon rather than created by this one.
    private var adopted: Set<String> = []

    /// Channels of the config that could not be created, by name, with the reason: in
    /// `STATUS=`, and tried again at the next reload.
    package private(set) var failed: [String: String] = [:]

    /// Creates (or adopts) every channel of `specs`, in order. A channel that cannot be created
    /// is logged and left out, and the others are served: unless `requireAll`, or unless none
    /// could be created, in which case it removes the ones it created and throws the first
    /// failure, so that a failed start leaves nothing new in /dev/shm; adopted channels stay as
    /// they were, queued messages and all, for the next start to adopt.
    ///
    /// - Throws: `DaemonError.channelCreation` or `.invalidChannel`.
    package func createAll(_ specs: [ChannelSpec], requireAll: Bool = true) throws {
        var first: Error?
        for spec in specs {
            do {
                try create(spec)
            } catch {
                first = first ?? error
                if requireAll { break }
                failed[spec.name] = "\(error)"
                logger.error(
                    "channel \(spec.name) not started: \(error)",
                    metadata: ["channel": "\(spec.name)", "event": "failed"])
            }
        }
        guard let first, requireAll || channels.isEmpty else { return }
        channels.removeAll { adopted.contains($0.spec.name) }
        removeAll()
        failed.removeAll()
        throw first
    }

    /// The specs of the running channels, in order, as a reload compares them.
    package var specs: [ChannelSpec] { channels.map { applied[$0.spec.name] ?? $0.spec } }

    /// Creates one more channel (on reload).
    ///
    /// - Throws: `DaemonError.channelCreation` or `.invalidChannel`; nothing of it is left then.
    package func add(_ spec: ChannelSpec) throws {
        do {
            try create(spec)
        } catch {
            failed[spec.name] = "\(error)"
            throw error
        }
    }

    /// Forgets the failures of channels a reloaded config no longer has.
    package func forgetFailures(except names: Set<String>) {
        failed = failed.filter { names.contains($0.key) }
    }

    /// Closes channel `name` (waking its clients: readers drain and exit, writers are told it
    /// closed) and unlinks its objects. Does nothing for a name it does not hold.
    package func remove(named name: String) {
        guard let index = channels.firstIndex(where: { $0.spec.name == name }) else { return }
        let channel = channels.remove(at: index)
        applied[name] = nil
        channel.close()
        unlink(channel)
    }

    /// Gives the live objects of `spec.name` the mode and group of `spec` (on reload).
    ///
    /// - Throws: `SystemCallError` for the first object that refused; the ones before it have
    ///   the new permissions already.
    package func updatePermissions(_ spec: ChannelSpec) throws {
        guard let channel = channels.first(where: { $0.spec.name == spec.name }) else { return }
        let before = applied[spec.name] ?? channel.spec
        if before.permissions != spec.permissions {
            for object in try spec.objects(prefix: prefix) { try object.apply(spec.permissions) }
            let group = spec.permissions.group.map { ", group \($0)" } ?? ""
            logger.notice(
                "channel \(spec.name) permissions changed: mode \(String(spec.permissions.mode, radix: 8))\(group)",
                metadata: ["channel": "\(spec.name)", "event": "permissions"])
        }
        if before.stuckAfterSeconds != spec.stuckAfterSeconds {
            channel.header.setStuckAfter(seconds: spec.stuckAfterSeconds)
            logger.notice(
                "channel \(spec.name): stuck-after is now \(spec.stuckAfterSeconds) s",
                metadata: ["channel": "\(spec.name)", "event": "stuck-after"])
        }
        applied[spec.name] = spec
    }

    private func create(_ spec: ChannelSpec) throws {
        defer { if channels.contains(where: { $0.spec.name == spec.name }) { failed[spec.name] = nil } }
        let (channel, origin): (HostedChannel, HostedChannel.Origin)
        do {
            (channel, origin) = try HostedChannel.open(spec: spec, prefix: prefix, daemon: identity)
        } catch let error as SystemCallError {
            throw DaemonError.channelCreation(channel: spec.name, error)
        } catch let error as ChannelError {
            throw DaemonError.invalidChannel(error)
        }
        switch origin {
        case let .adopted(previous, generation, queued):
            adopted.insert(spec.name)
            channels.append(channel)
            logger.notice(
                "channel \(spec.name) adopted from shmd pid \(previous), which is gone: generation \(generation), \(queued) messages queued, \(channel.clients.count) clients attached",
                metadata: [
                    "channel": "\(spec.name)", "event": "adopted", "generation": "\(generation)",
                    "queued": "\(queued)", "previous-pid": "\(previous)",
                ])
            return
        case let .replaced(reason, leftovers):
            logger.warning(
                "channel \(spec.name) left by an earlier shmd could not be adopted: \(reason); replaced by a new one",
                metadata: [
                    "channel": "\(spec.name)", "event": "replaced", "reason": "\(reason)",
                    "objects": "\(leftovers.map(\.object.name).joined(separator: ","))",
                ])
        case let .created(leftovers):
            for leftover in leftovers {
                logger.warning(
                    "removed leftover object \(leftover.object.path) of an earlier run",
                    metadata: ["channel": "\(spec.name)", "object": "\(leftover.object.name)"])
            }
        }
        channels.append(channel)
        logger.info(
            "channel \(spec.name) created: \(describe(spec))",
            metadata: [
                "channel": "\(spec.name)", "event": "created",
                "objects": "\((try? spec.objects(prefix: prefix).map(\.name).joined(separator: ",")) ?? "")",
            ])
    }

    /// Replaces every channel `HostedChannel.inspectDamage` finds damaged: marks it failed
    /// (its clients stop with an error that says so), unlinks it and creates it anew, empty, one
    /// generation later. A channel that cannot be created again is dropped and listed as failed.
    /// The other channels are not touched. Called at the start of every sweep, before the
    /// repair of dead clients reads anything the damage could have changed.
    package func replaceDamaged() {
        channels = channels.compactMap { channel in
            guard let reason = channel.inspectDamage() else { return channel }
            let name = channel.spec.name
            let spec = applied[name] ?? channel.spec
            let lost = channel.undelivered
            channel.fail()
            for failure in channel.unlink() {
                logger.error("could not remove \(failure.object): \(failure)", metadata: ["channel": "\(name)"])
            }
            let metadata: Logger.Metadata = ["channel": "\(name)", "event": "damaged", "reason": "\(reason)"]
            do {
                let (fresh, _) = try HostedChannel.create(spec: spec, prefix: prefix, daemon: identity, generation: channel.generation &+ 1)
                logger.error(
                    "channel \(name) is damaged: \(reason); a process with write access to it (its group, or root) wrote there. Replaced it with a new, empty channel (up to \(lost) messages lost); its clients were told",
                    metadata: metadata)
                return fresh
            } catch {
                failed[name] = "\(error)"
                applied[name] = nil
                logger.error(
                    "channel \(name) is damaged: \(reason); removed it, and could not create it again: \(error)",
                    metadata: metadata)
                return nil
            }
        }
    }

    /// Closes every channel (waking its blocked clients), then unlinks its objects.
    package func removeAll() {
        for channel in channels { channel.close() }
        for channel in channels.reversed() { unlink(channel) }
        channels.removeAll()
        applied.removeAll()
    }

    private func unlink(_ channel: HostedChannel) {
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

    /// One line for `STATUS=`: channels, attached clients, messages moved, and the channels of
    /// the config that could not be started.
    package var status: String {
        let clients = channels.reduce(0) { $0 + $1.clients.count }
        let moved = channels.reduce(UInt64(0)) { $0 + $1.header.counter(.read) }
        let names = channels.map(\.spec.name).joined(separator: ", ")
        let notStarted = failed.isEmpty ? "" : "; not started: \(failed.keys.sorted().joined(separator: ", ")) (see the journal)"
        return "\(channels.count) channel\(channels.count == 1 ? "" : "s") (\(names)), "
            + "\(clients) client\(clients == 1 ? "" : "s") attached, \(moved) messages delivered\(notStarted)"
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
