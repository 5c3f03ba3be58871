import Prometheus

/// One metric family of `shmctl metrics`: its name, its `# HELP` text, and how to read its
/// series off a channel's report. Each series is labelled with the channel's `prefix` and
/// `channel`, plus the labels of its sample (a client count's `role`).
package struct ChannelMetric: Sendable {
    /// A sample's value: a counter's count, or a gauge's level.
    package enum Value: Equatable, Sendable {
        /// Only grows while the channel lives (it restarts at 0 with a new channel).
        case count(UInt64)
        /// May go up and down.
        case level(Double)
    }

    /// One series of one channel: the labels beyond `prefix` and `channel`, and its value.
    package struct Sample: Sendable {
        package var labels: [(String, String)]
        package var value: Value
    }

    /// The name between `shmd_` and the unit: `messages_written`.
    package let base: String
    /// The unit the name ends in: `total` for a counter, `bytes`, `ratio`, `seconds`, or none.
    package let unit: String
    /// What the metric is, for its `# HELP` line.
    package let help: String
    /// The channel's samples; none when the report does not have the value.
    package let samples: @Sendable (ChannelReport) -> [Sample]

    /// The full name, as swift-prometheus composes it: `shmd_messages_written_total`.
    package var name: String { descriptor.name }

    /// The name and help as swift-prometheus takes them.
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "shmd", metricName: base, unitName: unit, helpText: help)
    }

    /// A counter (its name ends in `_total`) with one series per channel.
    package static func counter(_ base: String, _ help: String, _ count: @escaping @Sendable (ChannelReport) -> UInt64) -> Self {
        Self(base: base, unit: "total", help: help) { [Sample(labels: [], value: .count(count($0)))] }
    }

    /// A gauge with one series per channel, or none when `level` is `nil` for it.
    package static func gauge(
        _ base: String, unit: String = "", _ help: String, _ level: @escaping @Sendable (ChannelReport) -> Double?
    ) -> Self {
        Self(base: base, unit: unit, help: help) { report in level(report).map { [Sample(labels: [], value: .level($0))] } ?? [] }
    }

    /// A gauge with a series per set of values of `labels` per channel (`role`: `writer` and
    /// `reader`); `levels` gives each set's values, in the order of `labels`, and its level.
    package static func gauge(
        _ base: String, _ help: String, labels: [String], _ levels: @escaping @Sendable (ChannelReport) -> [([String], Double)]
    ) -> Self {
        Self(base: base, unit: "", help: help) { report in
            levels(report).map { values, level in Sample(labels: Array(zip(labels, values)), value: .level(level)) }
        }
    }
}
