import Prometheus

/// What `shmctl metrics` prints: every count and gauge of every channel's report, in the
/// Prometheus text exposition format (version 0.0.4, what node exporter's textfile collector
/// reads), rendered by swift-prometheus. Every series is labelled `prefix` and `channel`.
package enum ChannelMetrics {
    /// The channels' metric families, in the order they are written.
    package static let all: [ChannelMetric] = [
        .counter("messages_written", "Messages written into the channel since shmd created it (its write cursor; abandoned slots included).") {
            $0.counters.written
        },
        .counter("messages_read", "Messages taken by the channel's readers since shmd created it (its read cursor; abandoned slots included).") {
            $0.counters.read
        },
        .counter(
            "slots_abandoned",
            "Slots published without a message: a fill that threw, a claim a close overtook, or a writer that died holding the slot."
        ) { $0.counters.abandoned },
        .counter("messages_redelivered", "Messages a dead reader held that shmd wrote back into the ring for another reader.") {
            $0.counters.redelivered
        },
        .counter("messages_dropped", "Messages a reader took in a batch and dropped because its handler threw for an earlier one.") {
            $0.counters.dropped
        },
        .counter(
            "messages_lost",
            "Fan-out channels with slow-reader = drop: messages readers lost because the writers lapped them, summed over the readers."
        ) { $0.counters.lost },
        .counter("semaphore_units_restored", "Classic protocol: semaphore units lost with a killed client and put back by a waiter.") {
            $0.counters.restored
        },
        .counter("clients_died", "Clients that died attached to the channel, found and repaired by shmd.") { $0.counters.deadClients },
        .counter(
            "wakeups_failed",
            "Wake-ups (sem_post) that failed: a damaged or removed semaphore. Waiters still look every 200 ms, so messages are late, not lost."
        ) { $0.counters.failedWakeups },
        .gauge(
            "channel_info", "Always 1; the labels say the channel's layout (ring or seed) and protocol (fast, classic or seed).",
            labels: ["layout", "protocol"]
        ) {
            [([$0.layout, $0.protocol], 1)]
        },
        .gauge(
            "channel_state",
            "Always 1; the label says the channel's state: open carries messages, closing and failed stop its clients, initializing is not ready yet, unknown is a state this shmctl does not know.",
            labels: ["state"]
        ) { [([$0.state], 1)] },
        .gauge("messages_queued", "Messages written and not yet taken by a reader.") { Double($0.queued) },
        .gauge("messages_pending_redelivery", "Messages a dead reader held that shmd has not written back into the ring yet.") {
            Double($0.counters.pendingRedelivery)
        },
        .gauge("channel_fill", unit: "ratio", "Queued messages over slots, 0 to 1; at 1 the writers wait for the readers.") { $0.fill },
        .gauge("channel_slots", "How many messages the channel holds at once.") { Double($0.slots) },
        .gauge("channel_slot_size", unit: "bytes", "The largest message the channel takes, in bytes.") { Double($0.slotSize) },
        .gauge("clients_attached", "Clients attached to the channel now, by role.", labels: ["role"]) {
            [(["writer"], Double($0.writers)), (["reader"], Double($0.readers))]
        },
        .gauge("stuck_holdings", "Clients that have held a slot or message longer than stuck-after (shmctl status names them).") {
            Double($0.stuck.count)
        },
        .gauge("channel_stuck_after", unit: "seconds", "How long a client may hold a slot or message before it counts as stuck.") {
            $0.stuckAfterSeconds
        },
        .gauge("messages_recent_mean", unit: "bytes", "Mean length of the last messages written (up to 4096 of them), in bytes; absent before the first.") {
            $0.recentMessageBytes
        },
        .gauge("daemon_up", "1 while the shmd that owns the channel runs, 0 when it is stopped (SIGSTOP, a debugger) or gone, from /proc.") {
            $0.daemon.process == .alive ? 1 : 0
        },
        .gauge("daemon_generation", "How many shmd processes have owned the channel: 1 when shmd created it, one more at each adoption by a restarted shmd.") {
            Double($0.daemon.generation)
        },
    ]

    /// The gauge, without labels, of the channels found that could not be read.
    static var unreadable: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "shmd", metricName: "channels_unreadable", unitName: "",
            helpText: "Channels found in /dev/shm that shmctl metrics could not read (it says why on standard error).")
    }

    /// The exposition of `reports`: each family's `# HELP` and `# TYPE` lines and its series,
    /// in the order of `all`, then `shmd_channels_unreadable` with the value `unreadable`.
    /// With no report, only that last family is written.
    package static func exposition(_ reports: [ChannelReport], unreadable count: Int) -> [UInt8] {
        var text: [UInt8] = []
        for metric in all {
            // One registry per family, its series sorted: a registry writes its families and
            // their series in the order of dictionaries, which changes from run to run, and two
            // runs' files should differ only where the channels did.
            let registry = PrometheusCollectorRegistry()
            for report in reports {
                let labels = [("prefix", report.prefix), ("channel", report.name)]
                for sample in metric.samples(report) {
                    switch sample.value {
                    case .count(let count):
                        registry.makeCounter(descriptor: metric.descriptor, labels: labels + sample.labels).increment(by: Int64(clamping: count))
                    case .level(let level):
                        registry.makeGauge(descriptor: metric.descriptor, labels: labels + sample.labels).set(to: level)
                    }
                }
            }
            text += sortingSeries(registry.emitToBuffer())
        }
        let registry = PrometheusCollectorRegistry()
        registry.makeGauge(descriptor: unreadable).set(to: Double(count))
        registry.emit(into: &text)
        return text
    }

    /// One family's exposition with its series lines in byte order, after its `#` lines.
    static func sortingSeries(_ family: [UInt8]) -> [UInt8] {
        let lines = family.split(separator: UInt8(ascii: "\n"))
        let comments = lines.filter { $0.first == UInt8(ascii: "#") }
        let series = lines.filter { $0.first != UInt8(ascii: "#") }.sorted { $0.lexicographicallyPrecedes($1) }
        return (comments + series).flatMap { Array($0) + [UInt8(ascii: "\n")] }
    }
}
