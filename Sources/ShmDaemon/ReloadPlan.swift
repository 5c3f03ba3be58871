import ShmHost
import ShmKit

/// What a reload does to the running channels, decided by comparing them with the new config
/// channel by channel, by name. Pure: `ConfigReloader` carries it out.
///
/// - A channel only in the new config is added; one only in the running set is removed (its
///   clients are told: readers drain and exit 0, writers get "closed").
/// - A channel that is the same in both is left alone: its objects, clients and queued messages
///   are untouched.
/// - A channel whose mode or group changed keeps its objects, which get the new permissions.
///   Attached clients keep what they have; the new bits decide who may attach from now on. A
///   new `stuck-after` is applied in place too.
/// - A channel whose layout, geometry or protocol changed is refused: clients have its memory
///   mapped with the old shape. The old channel keeps running, and a warning says how to apply
///   the change (a restart, or a new name).
package struct ReloadPlan: Equatable, Sendable {
    /// A change the reload does not make, and why.
    package struct Refusal: Equatable, Sendable, CustomStringConvertible {
        package var channel: String
        package var reason: String
        package var description: String { reason }
    }

    package var added: [ChannelSpec] = []
    package var removed: [String] = []
    package var unchanged: [String] = []
    /// New specs of live channels whose mode, group or `stuck-after` (only) changed.
    package var permissionChanges: [ChannelSpec] = []
    package var refused: [Refusal] = []

    /// Compares the running channels (`running`, under `prefix`) with `new`.
    ///
    /// A different `prefix` would rename every live object; it is refused as a whole (one
    /// refusal with an empty channel name, nothing else planned).
    package static func make(running: [ChannelSpec], prefix: String, new: DaemonConfig) -> ReloadPlan {
        var plan = ReloadPlan()
        guard new.prefix == prefix else {
            plan.refused.append(
                Refusal(
                    channel: "",
                    reason:
                        "prefix changed from '\(prefix)' to '\(new.prefix)': a reload cannot rename live channels; "
                        + "nothing was changed. Restart shmd to apply it (systemctl restart shmd)"))
            return plan
        }
        let old = Dictionary(uniqueKeysWithValues: running.map { ($0.name, $0) })
        let newNames = Set(new.channels.map(\.name))
        plan.removed = running.map(\.name).filter { !newNames.contains($0) }
        for spec in new.channels {
            guard let live = old[spec.name] else {
                plan.added.append(spec)
                continue
            }
            // Only the permissions and stuck-after may differ for a change in place; anything
            // else a spec may carry (now or later) is fixed in the live objects.
            var withNewPermissions = live
            withNewPermissions.permissions = spec.permissions
            withNewPermissions.stuckAfterSeconds = spec.stuckAfterSeconds
            if live == spec {
                plan.unchanged.append(spec.name)
            } else if withNewPermissions == spec {
                plan.permissionChanges.append(spec)
            } else {
                let change =
                    live.layout != spec.layout
                    ? "the new config asks for \(describe(spec.layout))"
                    : live.delivery != spec.delivery
                        ? "the new config asks for \(spec.delivery) delivery, the live channel has \(live.delivery)"
                        : "the new config changes a setting fixed at creation (only mode, group and stuck-after can change in place)"
                plan.refused.append(
                    Refusal(
                        channel: spec.name,
                        reason:
                            "channel '\(spec.name)' is live as \(describe(live.layout)); \(change). "
                            + "A live channel cannot change its layout, geometry, protocol or delivery, because its clients have it mapped: "
                            + "keeping the old one. Restart shmd to apply it (systemctl restart shmd), or give the new channel another name"))
            }
        }
        return plan
    }

    /// Whether the running channels will match the new config once the plan is carried out.
    package var isComplete: Bool { refused.isEmpty }

    /// "1 added (b), 1 removed (c), 1 unchanged, 0 refused" for log and status lines.
    package var summary: String {
        func list(_ names: [String]) -> String { names.isEmpty ? "" : " (\(names.joined(separator: ", ")))" }
        var parts = [
            "\(added.count) added\(list(added.map(\.name)))", "\(removed.count) removed\(list(removed))",
            "\(unchanged.count) unchanged",
        ]
        if !permissionChanges.isEmpty {
            parts.append("\(permissionChanges.count) with new permissions\(list(permissionChanges.map(\.name)))")
        }
        parts.append("\(refused.count) refused\(list(refused.map(\.channel).filter { !$0.isEmpty }))")
        return parts.joined(separator: ", ")
    }

    static func describe(_ layout: ChannelSpec.Layout) -> String {
        switch layout {
        case let .ring(slots, slotSize, proto):
            return "a ring of \(slots) slots × \(slotSize) bytes (\(proto) protocol)"
        case let .seed(segment, empty, full):
            return "a seed channel on \(segment), \(empty), \(full)"
        }
    }
}
