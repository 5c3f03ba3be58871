/// The string literals of a Swift source file, found the way the compiler reads them: comments
/// are skipped, `"…"`, `"""…"""` and raw `#"…"#` literals are read with their escapes decoded,
/// and the code of each interpolation `\(…)` (which may hold literals of its own) is searched too.
///
/// Enough Swift for this package's sources, not a full lexer: there are no regex literals in it,
/// and a multi-line literal keeps its indentation and its last line break.
struct SwiftStringLiteral: Equatable, CustomStringConvertible {
    /// What stands in a literal's text for each interpolation (`rm \(path)` reads `rm ￼`).
    static let interpolation: Character = "\u{FFFC}"

    /// The line the literal starts on, from 1.
    let line: Int
    /// The literal's characters, escapes decoded, each interpolation as `interpolation`.
    let text: String

    var description: String { "line \(line): \(text.debugDescription)" }

    /// Every literal in `source`, in the order they start.
    static func all(in source: String) -> [SwiftStringLiteral] {
        var scanner = Scanner(Array(source.utf8))
        scanner.code(untilClosingParenthesis: false)
        return scanner.found.sorted { $0.start < $1.start }.map { SwiftStringLiteral(line: $0.line, text: $0.text) }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var found: [(start: Int, line: Int, text: String)] = []

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func byte(_ offset: Int = 0) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        func starts(with text: String) -> Bool {
            let pattern = Array(text.utf8)
            return index + pattern.count <= bytes.count && Array(bytes[index..<index + pattern.count]) == pattern
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < bytes.count {
                if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                index += 1
            }
        }

        /// Code, up to the end, or (in an interpolation) past the `)` that closes it.
        mutating func code(untilClosingParenthesis: Bool) {
            var depth = 0
            while let current = byte() {
                if starts(with: "//") {
                    while let next = byte(), next != UInt8(ascii: "\n") { advance() }
                } else if starts(with: "/*") {
                    blockComment()
                } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "#") {
                    var hashes = 0
                    while byte(hashes) == UInt8(ascii: "#") { hashes += 1 }
                    guard byte(hashes) == UInt8(ascii: "\"") else {
                        advance(max(hashes, 1)) // `#if`, `#filePath`, …
                        continue
                    }
                    let start = index
                    let startLine = line
                    advance(hashes)
                    let multiline = starts(with: "\"\"\"")
                    advance(multiline ? 3 : 1)
                    if multiline && byte() == UInt8(ascii: "\n") { advance() } // not part of the text
                    let text = literal(hashes: hashes, multiline: multiline)
                    found.append((start, startLine, text))
                } else if untilClosingParenthesis && current == UInt8(ascii: "(") {
                    depth += 1
                    advance()
                } else if untilClosingParenthesis && current == UInt8(ascii: ")") {
                    advance()
                    if depth == 0 { return }
                    depth -= 1
                } else {
                    advance()
                }
            }
        }

        /// A `/* … */` comment; they nest.
        mutating func blockComment() {
            var depth = 0
            while byte() != nil {
                if starts(with: "/*") {
                    depth += 1
                    advance(2)
                } else if starts(with: "*/") {
                    depth -= 1
                    advance(2)
                    if depth == 0 { return }
                } else {
                    advance()
                }
            }
        }

        /// The rest of a literal after its opening delimiter, up to and past its closing one.
        mutating func literal(hashes: Int, multiline: Bool) -> String {
            let closing = (multiline ? "\"\"\"" : "\"") + String(repeating: "#", count: hashes)
            let escape = "\\" + String(repeating: "#", count: hashes)
            var text = ""
            var pending: [UInt8] = [] // bytes of the text not decoded yet
            func flush() {
                text += String(decoding: pending, as: UTF8.self)
                pending.removeAll()
            }
            while let current = byte() {
                if starts(with: closing) {
                    advance(closing.utf8.count)
                    break
                }
                if !multiline && current == UInt8(ascii: "\n") { break } // not closed: not Swift
                guard starts(with: escape) else {
                    pending.append(current)
                    advance()
                    continue
                }
                advance(escape.utf8.count)
                guard let escaped = byte() else { break }
                flush()
                switch escaped {
                case UInt8(ascii: "("):
                    advance()
                    code(untilClosingParenthesis: true)
                    text.append(SwiftStringLiteral.interpolation)
                case UInt8(ascii: "n"):
                    text += "\n"
                    advance()
                case UInt8(ascii: "t"):
                    text += "\t"
                    advance()
                case UInt8(ascii: "r"):
                    text += "\r"
                    advance()
                case UInt8(ascii: "0"):
                    text += "\0"
                    advance()
                case UInt8(ascii: "u"):
                    // \u{XXXX}
                    advance()
                    var digits = ""
                    if byte() == UInt8(ascii: "{") {
                        advance()
                        while let digit = byte(), digit != UInt8(ascii: "}") {
                            digits.append(Character(UnicodeScalar(digit)))
                            advance()
                        }
                        advance()
                    }
                    if let value = UInt32(digits, radix: 16), let scalar = UnicodeScalar(value) { text.unicodeScalars.append(scalar) }
                case UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                    // A line continuation in a multi-line literal: the line break is not in the text.
                    while let blank = byte(), blank == UInt8(ascii: " ") || blank == UInt8(ascii: "\t") { advance() }
                    if byte() == UInt8(ascii: "\n") { advance() }
                default:
                    // \\ \" \' and anything else: the character itself.
                    pending.append(escaped)
                    advance()
                }
            }
            flush()
            return text
        }
    }
}
