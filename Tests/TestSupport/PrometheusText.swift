/// The Prometheus text exposition format as a test reads it: the samples, and the `# HELP` and
/// `# TYPE` lines of each family. Independent of swift-prometheus, which wrote what the tests
/// read (node exporter's own rendering, with sorted labels and `1` for `1.0`, reads the same).
public struct PrometheusText: Sendable {
    /// One line `name{label="value",...} value`.
    public struct Sample: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        public var description: String {
            "\(name){\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))} \(value)"
        }
    }

    public private(set) var samples: [Sample] = []
    /// Each family's `# HELP` text, by metric name.
    public private(set) var help: [String: String] = [:]
    /// Each family's `# TYPE` (`counter`, `gauge`, …), by metric name.
    public private(set) var types: [String: String] = [:]

    /// Parses `text`.
    ///
    /// - Throws: `TestFailure` naming the first line that is not a comment, a blank or a sample.
    public init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
                guard words.count == 2 else { throw TestFailure("a \(line.prefix(6)) line without a name and a text: \(line)") }
                if line.hasPrefix("# HELP ") { help[words[0]] = words[1] } else { types[words[0]] = words[1] }
            } else if !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
                guard let sample = Self.sample(line) else { throw TestFailure("not a sample line: \(line)") }
                samples.append(sample)
            }
        }
    }

    /// The samples of metric `name` whose labels include `labels`.
    public func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The value of the one sample of `name` with `labels`, or `nil` when there is not exactly one.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = samples(name, labels)
        return found.count == 1 ? found[0].value : nil
    }

    /// `name{a="x",b="y\"z"} 1.5` (a timestamp after the value is ignored).
    static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        guard let text = rest.split(separator: " ").first, let value = Double(text) ?? ["+Inf": .infinity, "-Inf": -.infinity][String(text)]
        else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
