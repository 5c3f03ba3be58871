import Foundation

/// The `--json` output: reports as pretty-printed JSON with sorted keys, so that a diff of two
/// runs shows what changed.
package enum ReportJSON {
    package static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
