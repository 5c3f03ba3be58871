import ShmKit
import TOMLKit

/// Reads `shmd.toml` and turns it into a `DaemonConfig`, or a `ConfigError` that names the file,
/// the line where it can be found, the key and the reason.
package enum ConfigLoader {
    /// Where the packaged service reads its config.
    package static let defaultPath = "/etc/shmd/shmd.toml"

    /// Reads and validates the file at `path`; with `limits`, also checks that its channels fit
    /// under them (`ResourceBudget`).
    ///
    /// - Throws: `ConfigError`.
    package static func load(path: String, limits: ResourceBudget.Limits? = nil) throws -> DaemonConfig {
        let text: String
        do {
            text = try ConfigFileReader.read(path: path)
        } catch {
            throw ConfigError(file: path, line: error.line, key: "", reason: error.reason(path: path))
        }
        return try parse(text, file: path, limits: limits)
    }

    /// Validates TOML `text`; `file` is only used in errors. With `limits`, also checks that its
    /// channels fit under them.
    ///
    /// - Throws: `ConfigError`.
    package static func parse(_ text: String, file: String, limits: ResourceBudget.Limits? = nil) throws -> DaemonConfig {
        let locator = KeyLocator(source: text)
        if let refusal = TOMLShapeCheck.firstRefusal(in: text) {
            throw ConfigError(file: file, line: refusal.line, key: "", reason: "TOML syntax: \(refusal.reason)")
        }
        let raw: ConfigFile
        do {
            raw = try TOMLDecoder(strictDecoding: true).decode(ConfigFile.self, from: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: "", reason: "TOML syntax: \(error.description)")
        } catch let error as UnexpectedKeysError {
            let (key, path) = error.keys.sorted(by: { $0.key < $1.key }).first!
            let location = Location(path: path + [PlainKey(key)])
            throw ConfigError(
                file: file, line: location.line(in: locator), key: location.dotted,
                reason: "unknown key (known keys: \(knownKeys(for: location.table)))")
        } catch let DecodingError.typeMismatch(type, context) {
            let location = Location(path: context.codingPath)
            throw ConfigError(
                file: file, line: location.line(in: locator), key: location.dotted,
                reason: "wrong type: expected \(typeName(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            let location = Location(path: context.codingPath)
            throw ConfigError(
                file: file, line: location.line(in: locator), key: location.dotted,
                reason: "wrong type: expected \(typeName(type))")
        } catch let DecodingError.keyNotFound(key, context) {
            // TOMLKit reports a value of the wrong type as a missing key of the expected type.
            let location = Location(path: context.codingPath + [key])
            throw ConfigError(
                file: file, line: location.line(in: locator), key: location.dotted,
                reason: "wrong type: expected \(expectedType(of: key.stringValue))")
        } catch let DecodingError.dataCorrupted(context) {
            let location = Location(path: context.codingPath)
            throw ConfigError(
                file: file, line: location.line(in: locator), key: location.dotted,
                reason: context.debugDescription)
        } catch {
            throw ConfigError(file: file, line: nil, key: "", reason: "\(error)")
        }
        return try ConfigValidator(file: file, locator: locator, limits: limits).validate(raw)
    }

    private static func knownKeys(for table: String?) -> String {
        switch table {
        case "daemon": return "prefix, mode, group, allow-world, sweep-interval, require-all-channels, max-clients, stuck-after"
        case "channel":
            return
                "name, layout, slots, slot-size, protocol, spin-us, delivery, slow-reader, mode, group, allow-world, max-clients, stuck-after, segment, sem-empty, sem-full"
        default: return "[daemon], [[channel]]"
        }
    }

    private static func expectedType(of key: String) -> String {
        switch key {
        case "slots", "slot-size", "max-clients": return "an integer"
        case "sweep-interval", "spin-us", "stuck-after": return "a number"
        case "require-all-channels", "allow-world": return "a boolean (true or false)"
        case "daemon": return "a table ([daemon])"
        case "channel": return "an array of tables ([[channel]])"
        default: return "a string"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "a boolean (true or false)"
        case is [ConfigFile.Channel].Type: return "an array of tables ([[channel]])"
        case is ConfigFile.Daemon.Type: return "a table ([daemon])"
        default: return "\(type)"
        }
    }
}

/// A coding path as `table`, `index` and `key`, for messages and `KeyLocator`.
struct Location {
    var table: String?
    var index: Int?
    var key: String?

    init(table: String?, index: Int?, key: String?) {
        self.table = table
        self.index = index
        self.key = key
    }

    init(path: [CodingKey]) {
        for element in path {
            if let value = element.intValue, table != nil, index == nil, key == nil {
                index = value
            } else if table == nil {
                table = element.stringValue
            } else {
                key = element.stringValue
            }
        }
    }

    var dotted: String {
        var text = table ?? ""
        if let index { text += "[\(index)]" }
        if let key { text += text.isEmpty ? key : ".\(key)" }
        return text
    }

    func line(in locator: KeyLocator) -> Int? {
        locator.line(table: table, index: index, key: key)
    }
}

struct PlainKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
