/// `shmctl bridges` as text: one line per bridge, the counters in the status file's names.
package enum BridgeText {
    package static func list(_ bridges: [BridgeStatus]) -> String {
        let heading = [
            "BRIDGE", "DIR", "STATE", "PID", "FORWARDED", "IN-FLIGHT", "ACKED", "REPUBLISHED", "REDELIVERED", "DUPLICATES-DROPPED", "DEAD-LETTERED",
            "RECONNECTS",
        ]
        let rows = bridges.map { bridge in
            [
                bridge.bridge, bridge.direction, bridge.state, bridge.running ? "\(bridge.pid)" : "-", "\(bridge.forwarded)", "\(bridge.inFlight)",
                "\(bridge.acked)", "\(bridge.republished)", "\(bridge.redelivered)", "\(bridge.duplicatesDropped)", "\(bridge.deadLettered)",
                "\(bridge.reconnects)",
            ]
        }
        return ReportText.table([heading] + rows).joined(separator: "\n")
    }
}
