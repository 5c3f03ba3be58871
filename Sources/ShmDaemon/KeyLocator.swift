/// Finds the line of a key in TOML source, so that errors found after parsing (a wrong type, an
/// unknown key, a bad value) still point at a line. TOMLKit keeps no positions for decoded values.
///
/// It understands the shapes `shmd.toml` uses: `[table]`, `[[array]]` and `key = value` lines.
package struct KeyLocator {
    private let lines: [Substring]

    package init(source: String) {
        lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The 1-based line of `key` in table `table` (the `index`th `[[table]]` for arrays of
    /// tables), or of the table's header when `key` is nil or absent; `nil` when not found.
    package func line(table: String?, index: Int? = nil, key: String?) -> Int? {
        var currentTable: String? = nil
        var occurrences: [String: Int] = [:]
        var currentIndex: Int? = nil
        var headerLine: Int? = nil
        for (number, raw) in lines.enumerated() {
            let text = raw.drop(while: { $0 == " " || $0 == "\t" })
            if text.hasPrefix("[[") {
                let name = Self.tableName(text.dropFirst(2))
                currentTable = name
                currentIndex = occurrences[name, default: 0]
                occurrences[name, default: 0] += 1
                if name == table && currentIndex == index { headerLine = number + 1 }
                continue
            }
            if text.hasPrefix("[") {
                currentTable = Self.tableName(text.dropFirst())
                currentIndex = nil
                if currentTable == table && index == nil { headerLine = number + 1 }
                continue
            }
            guard let key, currentTable == table, currentIndex == index else { continue }
            let name = text.prefix(while: { $0 != "=" && $0 != " " && $0 != "\t" })
            if name == key || name == "\"\(key)\"" { return number + 1 }
        }
        return headerLine
    }

    private static func tableName(_ text: Substring) -> String {
        String(text.prefix(while: { $0 != "]" })).trimmingSpaces
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
