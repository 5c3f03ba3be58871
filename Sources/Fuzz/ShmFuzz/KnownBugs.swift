#if canImport(Glibc)
import Glibc
#endif

/// Bugs the fuzz targets found that are reported and not fixed yet, each with the crash input
/// kept in Tests/Fuzz/crashes/. By default every target runs into them again, which is the
/// truth about the code. With `SHM_FUZZ_MASK_KNOWN=1` (`make fuzz-ci`, and `make fuzz
/// FUZZ_MASK_KNOWN=1`) each target steps around them as said below, so that a run goes on to
/// find something new instead of the same bug every few inputs. Remove a mask with its fix:
/// `make fuzz-crashes` says which kept input passes now.
enum KnownBugs {
    static let masked = getenv("SHM_FUZZ_MASK_KNOWN").map { String(cString: $0) == "1" } ?? false

    /// `ClientEntry.held` computes `heldFirst - 1 + heldCount` with a trapping add: an entry
    /// whose first ticket is near `UInt64.max` crashes whoever reads it, shmd's repair included.
    /// Masked: the client-table target does not read `held` of such an entry; the repair target
    /// shortens its count so that the range ends at `UInt64.max`.
    static func heldOverflows(first: UInt64, count: UInt32) -> Bool {
        first != 0 && (first - 1).addingReportingOverflow(UInt64(count)).overflow
    }

    /// `repairDeadClients` walks every ticket of a dead entry's held range, up to 2^32 - 1 of
    /// them, each time scanning the living clients: shmd's loop stalls for minutes.
    /// Masked: the repair target cuts every held count to this many tickets.
    static let heldCountLimit: UInt32 = 64

    /// The held count the repair target writes for an entry whose first ticket + 1 is `first`.
    static func maskedHeldCount(first: UInt64, count: UInt32) -> UInt32 {
        let cut = min(count, heldCountLimit)
        guard heldOverflows(first: first, count: cut) else { return cut }
        return UInt32(UInt64.max - (first - 1))
    }

    /// toml++ (inside TOMLKit 0.6.0) calls `parse_key` for a table header without checking the
    /// first character of the key: `[` then a newline, `[[[`, `[=`, `[é` fail its assertion
    /// `is_bare_key_character(*cp) || is_string_delimiter(*cp)` and abort the process (SIGABRT;
    /// without assertions it is undefined behaviour). Fixed upstream in toml++ (pull request
    /// 301), not in the copy TOMLKit bundles.
    /// Masked: the config target skips a text with a line that starts like a table header whose
    /// key starts with anything else than a bare-key character, a quote or `]`. It is wider than
    /// the bug (a `[` inside a multi-line string is not a header): it may skip more, never less.
    static func tripsTableHeaderAssertion(_ text: String) -> Bool {
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            var rest = line.drop(while: isTOMLWhitespace)
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            rest = rest.drop(while: isTOMLWhitespace)
            guard let first = rest.first else { return true }
            let startsKey = first.isASCII && (first.properties.isAlphabetic || ("0"..."9").contains(first))
                || "_-\"']".unicodeScalars.contains(first)
            if !startsKey { return true }
        }
        return false
    }

    /// toml++ (same copy) parses an array's next value without checking that it is not `}`:
    /// `a = [}`, `a = [1, }`, also across comments and lines, fail its assertion
    /// `!is_value_terminator(*cp)` in `parse_value` (from `parse_array`) and abort.
    /// Masked: the config target skips a text where `[` or `,` is followed, after white space,
    /// line breaks and comments, by `}`; wider than the bug again.
    static func tripsArrayValueAssertion(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard scalars[index] == "[" || scalars[index] == "," else { continue }
            var next = index + 1
            while next < scalars.count {
                if scalars[next] == "#" {
                    while next < scalars.count, scalars[next] != "\n" { next += 1 }
                } else if isTOMLWhitespace(scalars[next]) || scalars[next] == "\n" || scalars[next] == "\r" {
                    next += 1
                } else {
                    break
                }
            }
            if next < scalars.count, scalars[next] == "}" { return true }
        }
        return false
    }

    /// Space, tab, a byte order mark and the other horizontal white space toml++ may skip.
    private static func isTOMLWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{FEFF}"
            || (!scalar.isASCII && scalar.properties.isWhitespace && scalar != "\u{2028}" && scalar != "\u{2029}")
    }
}
