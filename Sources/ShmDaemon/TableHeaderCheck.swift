/// Finds a TOML table header with no key (`[` alone on a line, `[[[channel]]]`, `[[` followed by
/// a character no key may start with) before TOMLKit sees it. toml++ 3.x, which TOMLKit 0.6.0
/// bundles, asserts that such a header's first character begins a key and aborts the whole
/// process when it does not (`toml::impl::parser::parse_key` from `parse_table_header`; fixed
/// upstream, not in TOMLKit's copy): a typo in shmd.toml must end in exit 78 naming its line,
/// never in SIGABRT. Headers are recognised only where TOML has them, at the start of a line
/// outside any value, so a multi-line array or string is never mistaken for one.
enum TableHeaderCheck {
    /// - Returns: the line (from 1) of the first header without a key, and what follows its
    ///   brackets, or `nil` when every header starts with a key.
    static func firstKeylessHeader(in text: String) -> (line: Int, found: String)? {
        var scanner = Scanner()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let found = scanner.keylessHeader(Array(line.unicodeScalars)) { return (index + 1, found) }
        }
        return nil
    }

    /// Where the text is at a line break: inside how many open brackets or braces of a value,
    /// and inside which multi-line string, if any.
    private struct Scanner {
        var depth = 0
        var multiline: Unicode.Scalar?   // the quote of an open """ or ''' string

        mutating func keylessHeader(_ line: [Unicode.Scalar]) -> String? {
            var index = 0
            func at(_ offset: Int) -> Unicode.Scalar? { index + offset < line.count ? line[index + offset] : nil }
            if multiline == nil && depth == 0 {
                while let scalar = at(0), scalar == " " || scalar == "\t" { index += 1 }
                if at(0) == "[" {
                    index += at(1) == "[" ? 2 : 1
                    while let scalar = at(0), scalar == " " || scalar == "\t" { index += 1 }
                    guard let first = at(0), Self.startsKey(first) else {
                        return at(0).map { "'\($0)'" } ?? "the end of the line"
                    }
                    return nil   // the rest of a header holds no value
                }
            }
            while let scalar = at(0) {
                if let quote = multiline {
                    if scalar == quote && at(1) == quote && at(2) == quote {
                        multiline = nil
                        index += 3
                    } else {
                        index += scalar == "\\" && quote == "\"" ? 2 : 1
                    }
                    continue
                }
                switch scalar {
                case "#": return nil
                case "\"", "'":
                    if at(1) == scalar && at(2) == scalar {
                        multiline = scalar
                        index += 3
                    } else {
                        index += 1
                        while let inner = at(0), inner != scalar {
                            index += inner == "\\" && scalar == "\"" ? 2 : 1
                        }
                        index += 1
                    }
                    continue
                case "[", "{": depth += 1
                case "]", "}": depth = max(0, depth - 1)
                default: break
                }
                index += 1
            }
            return nil
        }

        /// A bare key character, or a quote that opens a quoted key.
        static func startsKey(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "_", "-", "\"", "'": return true
            default: return false
            }
        }
    }
}
