import CSystemd
import Logging
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The one swift-log handler of shmd: structured entries in the native journal
/// (`journalctl -u shmd SHMD_CHANNEL=demo`), or `<N>`-prefixed lines on stderr, which
/// systemd also understands as priorities.
///
/// Metadata key `channel` becomes journal field `SHMD_CHANNEL`, and so on: upper-cased, anything
/// outside `[A-Z0-9_]` replaced by `_`, prefixed `SHMD_`.
package struct ShmdLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package let label: String
    package let sink: LogSink

    package init(label: String, sink: LogSink = .detect()) {
        self.label = label
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let priority = Self.priority(event.level)
        switch sink {
        case .journal:
            var fields = [
                "MESSAGE=\(event.message)",
                "PRIORITY=\(priority)",
                "SYSLOG_IDENTIFIER=\(label)",
                "CODE_FILE=\(event.file)",
                "CODE_LINE=\(event.line)",
                "CODE_FUNC=\(event.function)",
            ]
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                fields.append("\(Self.journalField(key))=\(value)")
            }
            Self.sendToJournal(fields)
        case .stderr:
            var line = "<\(priority)>\(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                line += " \(key)=\(value)"
            }
            line += "\n"
            // Nothing to do about a log line stderr refuses (a closed pipe): it is the last resort.
            line.withUTF8 { try? Syscall.writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0), object: "standard error") }
        }
    }

    /// syslog(3) priority for a swift-log level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// `channel` → `SHMD_CHANNEL`: journal field names may hold only `[A-Z0-9_]`.
    static func journalField(_ key: String) -> String {
        let cleaned = key.uppercased().unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "0"..."9", "_": return Character(scalar)
            default: return "_"
            }
        }
        return "SHMD_" + String(cleaned)
    }

    /// Sends one entry with `sd_journal_sendv(3)`. Every field is copied into one buffer, and
    /// the `iovec`s pointing into it are built and used inside a single
    /// `withUnsafeBufferPointer`, so that no pointer outlives the closure that vouches for it.
    private static func sendToJournal(_ fields: [String]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(mutating: buffer.baseAddress)
            let vectors = ranges.map { range in iovec(iov_base: base.map { $0 + range.lowerBound }, iov_len: range.count) }
            // A journal that refuses an entry leaves nobody to tell: the entry is dropped.
            _ = sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}
