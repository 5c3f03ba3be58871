import ShmHost
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// Applies defaults and checks every value of a decoded `ConfigFile`, blaming the exact key.
struct ConfigValidator {
    let file: String
    let locator: KeyLocator
    /// This host's limits the channels must fit under, or `nil` to check the file alone.
    var limits: ResourceBudget.Limits? = nil

    func validate(_ raw: ConfigFile) throws -> DaemonConfig {
        let daemon = raw.daemon ?? ConfigFile.Daemon()
        let prefix = daemon.prefix ?? ChannelNames.defaultPrefix
        do {
            try ChannelNames.validate(component: prefix, what: "prefix")
        } catch let error as ChannelError {
            throw fail(Location(table: "daemon", index: nil, key: "prefix"), reason(error))
        }
        func at(_ key: String) -> Location { Location(table: "daemon", index: nil, key: key) }
        let mode = try parseMode(daemon.mode, at: at("mode")) ?? 0o660
        let group = try resolveGroup(daemon.group, at: at("group"))
        let allowWorld = daemon.allowWorld ?? false
        try check(
            mode, written: daemon.mode, allowWorld: allowWorld, group: daemon.group,
            modeAt: at("mode"), groupAt: at("group"))
        let clients = try parseMaxClients(daemon.maxClients, at: at("max-clients")) ?? Layout.defaultClientCapacity
        let stuckAfter = try parseStuckAfter(daemon.stuckAfter, at: at("stuck-after")) ?? Layout.defaultStuckAfterSeconds
        let defaults = Defaults(
            permissions: ObjectPermissions(mode: mode, group: group), allowWorld: allowWorld, clients: clients, stuckAfter: stuckAfter)
        let sweep = daemon.sweepInterval?.value ?? 1
        guard sweep >= 0.01 && sweep <= 3600 else {
            throw fail(Location(table: "daemon", index: nil, key: "sweep-interval"), "must be between 0.01 and 3600 seconds, not \(sweep)")
        }

        guard let channels = raw.channel, !channels.isEmpty else {
            throw ConfigError(file: file, line: nil, key: "channel", reason: "no [[channel]] table: shmd has nothing to serve")
        }
        var specs: [ChannelSpec] = []
        var seenNames: [String: Int] = [:]
        var files = ObjectFileClaims()
        var total = 0
        for (index, channel) in channels.enumerated() {
            let spec = try validate(channel, index: index, prefix: prefix, defaults: defaults)
            if let first = seenNames[spec.name] {
                throw fail(
                    Location(table: "channel", index: index, key: "name"),
                    "duplicate channel name '\(spec.name)' (also channel[\(first)])")
            }
            seenNames[spec.name] = index
            // By file in /dev/shm, not by POSIX name: semaphore /x is the file sem.x, which a
            // segment /sem.x would be too.
            for claim in try ObjectFileClaims.claims(of: spec, index: index, prefix: prefix) {
                if let earlier = files.claim(claim) {
                    throw fail(Location(table: "channel", index: index, key: nil), ObjectFileClaims.collision(claim, earlier))
                }
            }
            total += spec.sharedMemoryBytes
            guard total <= Layout.maximumTotalSize else {
                throw fail(
                    Location(table: "channel", index: index, key: nil),
                    "the channels need \(total) bytes of /dev/shm together, more than the limit of \(Layout.maximumTotalSize)")
            }
            specs.append(spec)
        }
        if let limits { try checkBudget(specs, limits) }
        return DaemonConfig(
            prefix: prefix, sweepInterval: sweep, channels: specs,
            requireAllChannels: daemon.requireAllChannels ?? false)
    }

    /// Refuses channels that would run the daemon out of descriptors or mappings, blaming the
    /// first channel that does not fit.
    private func checkBudget(_ specs: [ChannelSpec], _ limits: ResourceBudget.Limits) throws {
        var budget = ResourceBudget()
        var firstOverFiles: Int?
        var firstOverMappings: Int?
        for (index, spec) in specs.enumerated() {
            budget.add(spec)
            if firstOverFiles == nil && !budget.fitsDescriptors(limits) { firstOverFiles = index }
            if firstOverMappings == nil && !budget.fitsMappings(limits) { firstOverMappings = index }
        }
        if let index = firstOverFiles, let openFiles = limits.openFiles {
            throw fail(
                Location(table: "channel", index: index, key: nil),
                budget.descriptorReason(channels: specs.count, first: specs[index].name, limit: openFiles))
        }
        if let index = firstOverMappings, let mapCount = limits.mapCount {
            throw fail(
                Location(table: "channel", index: index, key: nil),
                budget.mappingReason(channels: specs.count, first: specs[index].name, limit: mapCount))
        }
    }

    /// What a channel inherits from `[daemon]`.
    private struct Defaults {
        var permissions: ObjectPermissions
        var allowWorld: Bool
        /// `max-clients`.
        var clients: Int
        /// `stuck-after`, in seconds.
        var stuckAfter: Double
    }

    private func validate(_ channel: ConfigFile.Channel, index: Int, prefix: String, defaults: Defaults) throws -> ChannelSpec {
        func at(_ key: String?) -> Location { Location(table: "channel", index: index, key: key) }
        guard let name = channel.name else { throw fail(at(nil), "missing key 'name'") }
        do {
            _ = try ChannelNames(prefix: prefix, channel: name)
        } catch let error as ChannelError {
            throw fail(at("name"), reason(error))
        }
        let mode = try parseMode(channel.mode, at: at("mode")) ?? defaults.permissions.mode
        let group = try resolveGroup(channel.group, at: at("group")) ?? defaults.permissions.group
        // An inherited mode was checked in [daemon]; only this table's allow-world = false can
        // still refuse its world bits.
        try check(
            mode, written: channel.mode, allowWorld: channel.allowWorld ?? defaults.allowWorld,
            group: channel.group, modeAt: at("mode"), groupAt: at("group"),
            allowWorldAt: channel.allowWorld != nil ? at("allow-world") : nil)
        let permissions = ObjectPermissions(mode: mode, group: group)
        let clients = try parseMaxClients(channel.maxClients, at: at("max-clients")) ?? defaults.clients
        let stuckAfter = try parseStuckAfter(channel.stuckAfter, at: at("stuck-after")) ?? defaults.stuckAfter

        switch channel.layout ?? "ring" {
        case "ring":
            for (key, value) in [("segment", channel.segment), ("sem-empty", channel.semEmpty), ("sem-full", channel.semFull)] where value != nil {
                throw fail(at(key), "only a channel with layout = \"seed\" names its own objects")
            }
            let slots = channel.slots ?? 64
            guard Layout.slotCountRange.contains(slots) else {
                throw fail(at("slots"), "must be between \(Layout.slotCountRange.lowerBound) and \(Layout.slotCountRange.upperBound), not \(slots)")
            }
            let slotSize = channel.slotSize ?? 1024
            guard Layout.slotSizeRange.contains(slotSize) else {
                throw fail(at("slot-size"), "must be between \(Layout.slotSizeRange.lowerBound) and \(Layout.slotSizeRange.upperBound) bytes, not \(slotSize)")
            }
            let size = Layout.ringSize(slotCount: slots, slotSize: slotSize, clientCapacity: clients)
            guard size <= Layout.maximumTotalSize else {
                throw fail(at("slot-size"), "\(slots) slots of \(slotSize) bytes make \(size) bytes, more than the limit of \(Layout.maximumTotalSize)")
            }
            let proto = try parseProtocol(channel.protocol, at: at("protocol"))
            var spin = Layout.defaultSpinNanoseconds
            if let micro = channel.spinMicroseconds?.value {
                let limit = Double(Layout.spinRange.upperBound) / 1000
                guard micro >= 0 && micro <= limit else {
                    throw fail(at("spin-us"), "must be between 0 and \(Int(limit)) microseconds, not \(micro)")
                }
                guard proto == .fast else { throw fail(at("spin-us"), "only the fast protocol spins") }
                spin = UInt64(micro * 1000)
            }
            let delivery = try parseDelivery(channel, protocol: proto, at: at)
            return ChannelSpec(
                name: name, layout: .ring(slots: slots, slotSize: slotSize, protocol: proto),
                permissions: permissions, spinNanoseconds: spin, clientCapacity: clients, stuckAfterSeconds: stuckAfter,
                delivery: delivery)

        case "seed":
            for (key, value) in [("slots", channel.slots), ("slot-size", channel.slotSize)] where value != nil {
                throw fail(at(key), "a seed channel has one buffer of \(Layout.seedBufferSize) bytes, as in shm_sem.h")
            }
            if channel.protocol != nil { throw fail(at("protocol"), "a seed channel always uses the seed's protocol") }
            if channel.spinMicroseconds != nil { throw fail(at("spin-us"), "a seed channel always uses the seed's protocol") }
            if channel.delivery != nil || channel.slowReader != nil {
                throw fail(
                    at(channel.delivery != nil ? "delivery" : "slow-reader"),
                    "a seed channel is the seed's producer and consumer: only a ring channel can fan out")
            }
            var objects: [String] = []
            for (key, value) in [("segment", channel.segment), ("sem-empty", channel.semEmpty), ("sem-full", channel.semFull)] {
                guard let value else { throw fail(at(nil), "missing key '\(key)': a seed channel names its segment and semaphores") }
                do {
                    try ChannelNames.validate(objectName: value)
                } catch let error as ChannelError {
                    throw fail(at(key), reason(error))
                }
                objects.append(value)
            }
            guard objects[1] != objects[2] else { throw fail(at("sem-full"), "sem-empty and sem-full must differ") }
            return ChannelSpec(
                name: name, layout: .seed(segment: objects[0], semaphoreEmpty: objects[1], semaphoreFull: objects[2]),
                permissions: permissions, clientCapacity: clients, stuckAfterSeconds: stuckAfter)

        case let other:
            throw fail(at("layout"), "unknown layout '\(other)' (use \"ring\" or \"seed\")")
        }
    }

    private func parseMaxClients(_ value: Int?, at location: Location) throws -> Int? {
        guard let value else { return nil }
        guard Layout.clientCapacityRange.contains(value) else {
            throw fail(location, "must be between \(Layout.clientCapacityRange.lowerBound) and \(Layout.clientCapacityRange.upperBound) clients, not \(value)")
        }
        return value
    }

    /// `stuck-after`: at least 0.1 s (shmd looks once a sweep, so less means nothing) and at
    /// most a day.
    private func parseStuckAfter(_ value: TOMLNumber?, at location: Location) throws -> Double? {
        guard let seconds = value?.value else { return nil }
        guard seconds >= 0.1 && seconds <= 86_400 else {
            throw fail(location, "must be between 0.1 and 86400 seconds, not \(seconds)")
        }
        return seconds
    }

    /// `delivery` and `slow-reader`: fan-out needs the fast protocol (classic's semaphores count
    /// one reader per message), and `slow-reader` means something only for fan-out.
    private func parseDelivery(_ channel: ConfigFile.Channel, protocol proto: ChannelProtocol, at: (String?) -> Location) throws -> Delivery {
        switch channel.delivery ?? "queue" {
        case "queue":
            if channel.slowReader != nil {
                throw fail(at("slow-reader"), "only a fan-out channel has slow readers: add delivery = \"fanout\", or remove slow-reader")
            }
            return .queue
        case "fanout":
            guard proto == .fast else {
                throw fail(at("delivery"), "fan-out needs the fast protocol: remove protocol = \"classic\", or use delivery = \"queue\"")
            }
            switch channel.slowReader ?? "block" {
            case "block": return .fanout(.block)
            case "drop": return .fanout(.drop)
            case let other: throw fail(at("slow-reader"), "unknown slow-reader policy '\(other)' (use \"block\" or \"drop\")")
            }
        case let other:
            throw fail(at("delivery"), "unknown delivery '\(other)' (use \"queue\" or \"fanout\")")
        }
    }

    private func parseProtocol(_ text: String?, at location: Location) throws -> ChannelProtocol {
        switch text ?? "fast" {
        case "fast": return .fast
        case "classic": return .classic
        case let other: throw fail(location, "unknown protocol '\(other)' (use \"fast\" or \"classic\")")
        }
    }

    private func parseMode(_ text: String?, at location: Location) throws -> mode_t? {
        guard let text else { return nil }
        guard !text.isEmpty, text.count <= 4, let mode = mode_t(text, radix: 8), mode <= 0o777 else {
            throw fail(location, "'\(text)' is not an octal mode such as \"0660\"")
        }
        return mode
    }

    /// Applies `ModeRules` to the mode of one table (as `written` there, or inherited), with the
    /// `group` key of the same table. A mode written here is blamed at `modeAt`; an inherited
    /// one at the key of this table that makes it wrong (`group`, or `allow-world = false`).
    private func check(
        _ mode: mode_t, written: String?, allowWorld: Bool, group: String?,
        modeAt: Location, groupAt: Location, allowWorldAt: Location? = nil
    ) throws {
        let rules = ModeRules(text: written ?? ModeRules.format(mode), mode: mode)
        guard let violation = rules.violation(allowWorld: allowWorld, group: group) else { return }
        if written != nil {
            throw fail(modeAt, rules.reason(violation))
        }
        switch violation {
        case .groupWithoutAccess:
            throw fail(groupAt, "the mode from [daemon], " + rules.reason(violation))
        case .worldAccess:
            throw fail(allowWorldAt ?? modeAt, "the mode from [daemon], " + rules.reason(violation))
        default:
            throw fail(modeAt, rules.reason(violation))
        }
    }

    private func resolveGroup(_ name: String?, at location: Location) throws -> gid_t? {
        guard let name else { return nil }
        guard let entry = getgrnam(name) else {
            throw fail(location, "no group named '\(name)' on this system (create it, e.g. with systemd-sysusers or groupadd)")
        }
        return entry.pointee.gr_gid
    }

    private func reason(_ error: ChannelError) -> String {
        if case let .invalidName(_, reason) = error { return reason }
        return error.description
    }

    private func fail(_ location: Location, _ reason: String) -> ConfigError {
        ConfigError(file: file, line: location.line(in: locator), key: location.dotted, reason: reason)
    }
}
