import Foundation
import ShmDaemon
import ShmKit

/// The config loader: the input as text (invalid UTF-8 decoded leniently, as a damaged file
/// would be), through `ConfigLoader.parse`. It must return a config that keeps every rule of
/// `shmd.toml`, or throw a `ConfigError` naming this file and a line that exists; any other
/// error, or a crash, is a finding.
enum ConfigFuzz {
    static let file = "fuzz.toml"

    static func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) {
        let text = String(decoding: input, as: UTF8.self)
        let config: DaemonConfig
        do {
            config = try ConfigLoader.parse(text, file: file)
        } catch let error as ConfigError {
            try require(error.file == file, "the error names file '\(error.file)': \(error)")
            try require(!error.reason.isEmpty, "the error gives no reason: \(error)")
            let lines = text.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            if let line = error.line {
                try require((1...lines).contains(line), "the error names line \(line) of a \(lines)-line file: \(error)")
            }
            return
        } catch {
            throw FuzzFailure("parse threw \(type(of: error)), not a ConfigError: \(error)")
        }
        try check(config)
    }

    private static func check(_ config: DaemonConfig) throws(FuzzFailure) {
        try require(!config.channels.isEmpty, "accepted a config without channels")
        try require((0.01...3600).contains(config.sweepInterval), "accepted sweep-interval \(config.sweepInterval)")
        do {
            try ChannelNames.validate(component: config.prefix, what: "prefix")
        } catch {
            throw FuzzFailure("accepted prefix '\(config.prefix)': \(error)")
        }
        try require(
            Set(config.channels.map(\.name)).count == config.channels.count,
            "accepted duplicate channel names \(config.channels.map(\.name))")
        var total = 0
        for spec in config.channels {
            do {
                _ = try ChannelNames(prefix: config.prefix, channel: spec.name)
            } catch {
                throw FuzzFailure("accepted channel name '\(spec.name)': \(error)")
            }
            let mode = spec.permissions.mode
            try require(
                mode <= 0o777 && mode & 0o002 == 0 && mode & 0o600 == 0o600,
                "channel '\(spec.name)' accepted mode \(String(mode, radix: 8))")
            switch spec.layout {
            case let .ring(slots, slotSize, _):
                try require(Layout.slotCountRange.contains(slots), "channel '\(spec.name)' accepted \(slots) slots")
                try require(Layout.slotSizeRange.contains(slotSize), "channel '\(spec.name)' accepted slot-size \(slotSize)")
                try require(Layout.spinRange.contains(spec.spinNanoseconds), "channel '\(spec.name)' accepted spin \(spec.spinNanoseconds) ns")
            case let .seed(segment, empty, full):
                for name in [segment, empty, full] {
                    do {
                        try ChannelNames.validate(objectName: name)
                    } catch {
                        throw FuzzFailure("seed channel '\(spec.name)' accepted object name '\(name)': \(error)")
                    }
                }
                try require(empty != full, "seed channel '\(spec.name)' accepted one semaphore for empty and full")
            }
            total += spec.sharedMemoryBytes
        }
        try require(total <= Layout.maximumTotalSize, "accepted channels of \(total) bytes together")
    }

    // MARK: seeds

    /// The package's root: this file is Sources/Fuzz/ShmFuzz/ConfigFuzz.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped config and every config literal of the config loader's tests, so that the
    /// corpus starts from each rule and each error those tests know.
    static func seeds() throws(FuzzFailure) -> [Seed] {
        let shipped = packageRoot.appendingPathComponent("config/shmd.toml")
        let tests = packageRoot.appendingPathComponent("Tests/ShmDaemonTests/ConfigLoaderTests.swift")
        guard let config = try? Data(contentsOf: shipped) else { throw FuzzFailure("cannot read \(shipped.path)") }
        guard let source = try? String(contentsOf: tests, encoding: .utf8) else { throw FuzzFailure("cannot read \(tests.path)") }
        let literals = SwiftStringLiterals.after(["toml: ", "ConfigLoader.parse("], in: source)
        guard !literals.isEmpty else { throw FuzzFailure("found no config literal in \(tests.path)") }
        return [Seed("shipped-shmd.toml", Array(config))]
            + literals.enumerated().map { Seed("test-\(String(format: "%02d", $0.offset)).toml", Array($0.element.utf8)) }
    }
}

/// Reads the string literals of Swift source that follow a marker, as their values: the
/// escapes `\n \t \r \0 \" \' \\ \u{…}` and multi-line literals. One with an interpolation
/// cannot be evaluated here and is left out.
enum SwiftStringLiterals {
    static func after(_ markers: [String], in source: String) -> [String] {
        var values: [String] = []
        var rest = Substring(source)
        while let marker = markers.compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            rest = rest[marker.upperBound...]
            if rest.hasPrefix("\"\"\"") {
                if let value = multiLine(&rest) { values.append(value) }
            } else if rest.hasPrefix("\"") {
                if let value = singleLine(&rest) { values.append(value) }
            }
        }
        return values
    }

    private static func singleLine(_ rest: inout Substring) -> String? {
        rest = rest.dropFirst()
        var raw = ""
        while let character = rest.first, character != "\"", character != "\n" {
            rest = rest.dropFirst()
            raw.append(character)
            if character == "\\", let escaped = rest.first {
                raw.append(escaped)
                rest = rest.dropFirst()
            }
        }
        rest = rest.dropFirst()
        return unescape(raw)
    }

    private static func multiLine(_ rest: inout Substring) -> String? {
        guard let open = rest.firstIndex(of: "\n"), let close = rest.range(of: "\"\"\"", range: open..<rest.endIndex) else {
            rest = rest.dropFirst(3)
            return nil
        }
        let body = rest[rest.index(after: open)..<close.lowerBound]
        rest = rest[close.upperBound...]
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        // The closing delimiter's indentation is stripped from every line.
        let indent = lines.last.map { $0.prefix(while: { $0 == " " }).count } ?? 0
        let text = lines.dropLast().map { String($0.dropFirst(min(indent, $0.prefix(while: { $0 == " " }).count))) }
            .joined(separator: "\n")
        return unescape(text)
    }

    private static func unescape(_ raw: String) -> String? {
        var value = ""
        var characters = Substring(raw)
        while let character = characters.popFirst() {
            guard character == "\\" else {
                value.append(character)
                continue
            }
            switch characters.popFirst() {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "0": value.append("\0")
            case "\"": value.append("\"")
            case "'": value.append("'")
            case "\\": value.append("\\")
            case "u":
                guard characters.popFirst() == "{", let end = characters.firstIndex(of: "}"),
                    let code = UInt32(characters[..<end], radix: 16), let scalar = Unicode.Scalar(code)
                else { return nil }
                value.unicodeScalars.append(scalar)
                characters = characters[characters.index(after: end)...]
            default: return nil
            }
        }
        return value
    }
}
