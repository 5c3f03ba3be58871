/// A config that shmd refuses, with where and why: `file:line: key: reason`.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    /// 1-based line of the offending key or table, when it can be found.
    public var line: Int?
    /// Dotted key path, e.g. `channel[2].slot-size`; empty for a file-level problem.
    public var key: String
    public var reason: String

    public init(file: String, line: Int?, key: String, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(reason)" : "\(location): \(key): \(reason)"
    }
}
