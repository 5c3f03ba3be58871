/// A config that shmd refuses, with where and why: `file:line: key: reason`.
package struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    package var file: String
    /// 1-based line of the offending key or table, when it can be found.
    package var line: Int?
    /// Dotted key path, e.g. `channel[2].slot-size`; empty for a file-level problem.
    package var key: String
    package var reason: String

    package init(file: String, line: Int?, key: String, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    package var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(reason)" : "\(location): \(key): \(reason)"
    }
}
