/// Refuses, line by line, the TOML shapes that make toml++ abort the process instead of
/// reporting an error. toml++ 3.x, which TOMLKit 0.6.0 bundles, asserts on what its caller was
/// meant to have checked: a table header whose first character cannot start a key (`[` alone,
/// `[[[channel]]]`; `parse_key` from `parse_table_header`) and a value where an array expected
/// one (`a = [}`; `parse_value`). Both were found by the config fuzz target, and both are fixed
/// upstream, not in TOMLKit's copy. A typo in shmd.toml must end in exit 78 naming its line.
///
/// shmd.toml is a small language: tables, comments, and keys with one string, number or
/// boolean each. So no key takes an array, an inline table or a multi-line string, and with
/// those refused every TOML construct fits on one line, which keeps this check exact: what it
/// lets through, toml++ parses (or reports) without asserting.
enum TOMLShapeCheck {
    /// - Returns: the line (from 1) and the reason of the first shape refused, or `nil`.
    static func firstRefusal(in text: String) -> (line: Int, reason: String)? {
        // By scalar: as Characters, "\r\n" is one grapheme and no line would end at it.
        for (index, line) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let reason = refusal(Array(line)) { return (index + 1, reason) }
        }
        return nil
    }

    private static func refusal(_ line: [Unicode.Scalar]) -> String? {
        var index = skipBlanks(line, from: 0)
        guard index < line.count, line[index] != "#", line[index] != "\r" else { return nil }
        if line[index] == "[" {
            index = skipBlanks(line, from: index + (index + 1 < line.count && line[index + 1] == "[" ? 2 : 1))
            guard index < line.count, startsKey(line[index]) else {
                return "a table header needs a key after its brackets, found \(describe(line, index)) (write [daemon] or [[channel]])"
            }
            return nil
        }
        guard startsKey(line[index]) else {
            return "a line holds a key = value, a [table] or a # comment; it cannot start with \(describe(line, index))"
        }
        // The value starts after the first '=' outside a quoted key.
        var quote: Unicode.Scalar?
        while index < line.count {
            let scalar = line[index]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == "=" {
                break
            }
            index += 1
        }
        guard index < line.count else { return nil } // no '=': toml++ reports that itself
        index = skipBlanks(line, from: index + 1)
        guard index < line.count, line[index] != "#", line[index] != "\r" else { return "a key = needs a value" }
        let first = line[index]
        if first == "[" || first == "{" {
            return "no key of shmd.toml takes an array or an inline table: give each key one string, number or boolean"
        }
        if (first == "\"" || first == "'") && index + 2 < line.count && line[index + 1] == first && line[index + 2] == first {
            return "no key of shmd.toml takes a multi-line string: write it on one line"
        }
        return nil
    }

    private static func skipBlanks(_ line: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < line.count, line[index] == " " || line[index] == "\t" { index += 1 }
        return index
    }

    /// A bare key character, or a quote that opens a quoted key.
    private static func startsKey(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-", "\"", "'": return true
        default: return false
        }
    }

    private static func describe(_ line: [Unicode.Scalar], _ index: Int) -> String {
        index < line.count && line[index] != "\r" ? "'\(line[index])'" : "the end of the line"
    }
}
