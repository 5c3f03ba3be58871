import ShmDaemon
import ShmKit
import TOMLKit

/// Reads bridge.toml: `[[bridge]]` tables, each checked key by key, so that a mistake ends with
/// its file, line and key, and the fix (`ConfigError`, exit 78).
package enum BridgeConfigLoader {
    /// Where the bridges are configured unless `--config` says otherwise.
    package static let defaultPath = "/etc/shmd/bridge.toml"

    static let knownKeys = [
        "name", "direction", "channel", "prefix", "subject", "stream", "durable", "servers", "credentials", "tls-ca", "tls-hostname", "in-flight",
        "create-stream", "dead-letter", "duplicate-window", "ack-wait", "state-directory", "status-directory",
    ]

    /// Every bridge of the file at `path`.
    ///
    /// - Throws: `ConfigError`.
    package static func load(path: String) throws(ConfigError) -> [BridgeConfig] {
        let text: String
        do {
            text = try ConfigFileReader.read(path: path)
        } catch {
            throw ConfigError(file: path, line: error.line, key: "", reason: error.reason(path: path))
        }
        return try parse(text, file: path)
    }

    /// Every bridge of TOML `text`; `file` is for errors.
    ///
    /// - Throws: `ConfigError`.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> [BridgeConfig] {
        let locator = KeyLocator(source: text)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: "", reason: "TOML syntax: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: "", reason: "TOML syntax: \(error)")
        }
        for key in table.keys where key != "bridge" {
            throw ConfigError(
                file: file, line: locator.line(table: key, key: nil) ?? locator.line(table: nil, key: key), key: key,
                reason: "unknown key: bridge.toml holds only [[bridge]] tables")
        }
        guard let entries = table["bridge"] else {
            throw ConfigError(file: file, line: nil, key: "bridge", reason: "no [[bridge]] table: add one per bridge (see the README, \"Beyond one host\")")
        }
        guard let array = entries.array else {
            throw ConfigError(
                file: file, line: locator.line(table: "bridge", key: nil), key: "bridge", reason: "wrong type: expected an array of tables ([[bridge]])")
        }
        var bridges: [BridgeConfig] = []
        for index in 0..<array.count {
            let entry = Entry(file: file, locator: locator, index: index, value: array[index])
            let bridge = try entry.bridge()
            if let earlier = bridges.first(where: { $0.name == bridge.name }) {
                throw entry.error("name", "'\(earlier.name)' names two bridges: give each its own name")
            }
            bridges.append(bridge)
        }
        return bridges
    }

    /// One `[[bridge]]` table and where it is, for its errors.
    struct Entry {
        let file: String
        let locator: KeyLocator
        let index: Int
        let value: TOMLValueConvertible

        func error(_ key: String?, _ reason: String) -> ConfigError {
            ConfigError(
                file: file, line: locator.line(table: "bridge", index: index, key: key),
                key: key.map { "bridge[\(index)].\($0)" } ?? "bridge[\(index)]", reason: reason)
        }

        func bridge() throws(ConfigError) -> BridgeConfig {
            guard let table = value.table else { throw error(nil, "wrong type: expected a table ([[bridge]])") }
            for key in table.keys where !BridgeConfigLoader.knownKeys.contains(key) {
                throw error(key, "unknown key (known keys: \(BridgeConfigLoader.knownKeys.joined(separator: ", ")))")
            }
            let name = try required(table, "name", example: "name = \"orders-out\"")
            try checkName(name, key: "name", what: "a bridge name (the unit instance, shm-bridge@NAME)")
            guard let direction = BridgeConfig.Direction(rawValue: try required(table, "direction", example: "direction = \"out\"")) else {
                throw error("direction", "must be \"out\" (channel to NATS) or \"in\" (NATS into the channel)")
            }
            let channel = try required(table, "channel", example: "channel = \"demo\"")
            try checkName(channel, key: "channel", what: "a channel name, as in shmd.toml")
            let prefix = try string(table, "prefix") ?? ChannelNames.defaultPrefix
            let subject = try required(table, "subject", example: "subject = \"shmd.demo\"")
            if subject.contains(where: { $0 == " " || $0 == "*" || $0 == ">" }) || subject.hasPrefix(".") || subject.hasSuffix(".") || subject.contains("..") {
                throw error("subject", "'\(subject)' is not a subject to publish to: dot-separated tokens, no spaces or wildcards")
            }
            let stream = try required(table, "stream", example: "stream = \"SHMD_DEMO\"")
            if stream.contains(where: { $0 == " " || $0 == "." || $0 == "*" || $0 == ">" || $0 == "/" }) {
                throw error("stream", "'\(stream)' is not a stream name: no spaces, dots, slashes or wildcards")
            }
            var durable = try string(table, "durable")
            if direction == .in {
                durable = durable ?? name
            } else if durable != nil {
                throw error("durable", "only an in bridge consumes (direction = \"in\"): remove it")
            }
            if let durable, durable.contains(where: { $0 == " " || $0 == "." || $0 == "*" || $0 == ">" }) {
                throw error("durable", "'\(durable)' is not a consumer name: no spaces, dots or wildcards")
            }
            let servers = try serverList(table)
            let credentials = try string(table, "credentials")
            if let credentials, !credentials.hasPrefix("/") {
                throw error("credentials", "'\(credentials)' must be an absolute path (the service does not run in your folder)")
            }
            let tlsCA = try string(table, "tls-ca")
            if let tlsCA, !tlsCA.hasPrefix("/") {
                throw error("tls-ca", "'\(tlsCA)' must be an absolute path (the service does not run in your folder)")
            }
            let tlsHostname = try string(table, "tls-hostname")
            // libnats adds tls-ca to the system's CAs, and checks no name unless given one: a CA
            // file alone would accept any publicly signed certificate, for any host.
            if tlsCA != nil && tlsHostname == nil {
                throw error(
                    "tls-ca", "needs tls-hostname beside it: the name the servers' certificate carries (without it libnats 3.4.1 checks no name)")
            }
            if let tlsHostname, tlsHostname.isEmpty || tlsHostname.contains(where: { $0 == " " || $0 == "/" || $0 == ":" }) {
                throw error("tls-hostname", "'\(tlsHostname)' is not a host name: the name in the servers' certificate, e.g. nats.example.com")
            }
            let inFlight = try int(table, "in-flight") ?? BridgeConfig.defaultInFlight
            guard (1...65536).contains(inFlight) else { throw error("in-flight", "\(inFlight) is out of range: 1 to 65536") }
            let create = try bool(table, "create-stream") ?? true
            let deadLetter = try string(table, "dead-letter")
            let window = try number(table, "duplicate-window") ?? 120
            guard window >= 1 && window <= 86400 else { throw error("duplicate-window", "\(window) s is out of range: 1 to 86400 seconds") }
            let ackWait = try number(table, "ack-wait") ?? 30
            guard ackWait >= 1 && ackWait <= 3600 else { throw error("ack-wait", "\(ackWait) s is out of range: 1 to 3600 seconds") }
            let state = try string(table, "state-directory") ?? "/var/lib/shm-bridge"
            let status = try string(table, "status-directory") ?? "/run/shm-bridge"
            return BridgeConfig(
                name: name, direction: direction, channel: channel, prefix: prefix, subject: subject, stream: stream, durable: durable,
                servers: servers, credentialsFile: credentials,
                tls: tlsCA == nil && tlsHostname == nil && !servers.contains(where: { $0.hasPrefix("tls://") })
                    ? nil : NatsTLS(caFile: tlsCA, hostname: tlsHostname), inFlight: inFlight, createStream: create,
                deadLetterSubject: deadLetter,
                duplicateWindowSeconds: window, ackWaitSeconds: ackWait, stateDirectory: state, statusDirectory: status)
        }

        private func serverList(_ table: TOMLTable) throws(ConfigError) -> [String] {
            guard let value = table["servers"] else {
                throw error("servers", "missing: the NATS servers, e.g. servers = [\"nats://127.0.0.1:4222\"]")
            }
            let list: [String]
            if let one = value.string {
                list = [one]
            } else if let array = value.array {
                var items: [String] = []
                for index in 0..<array.count {
                    guard let item = array[index].string else { throw error("servers", "wrong type: expected strings (nats://host:port)") }
                    items.append(item)
                }
                list = items
            } else {
                throw error("servers", "wrong type: expected an array of strings (nats://host:port)")
            }
            guard !list.isEmpty else { throw error("servers", "empty: name at least one server, e.g. [\"nats://127.0.0.1:4222\"]") }
            for url in list where !(url.hasPrefix("nats://") || url.hasPrefix("tls://")) || url.count < 8 {
                throw error("servers", "'\(url)' is not a NATS URL: nats://host:port (or tls://host:port)")
            }
            return list
        }

        private func checkName(_ text: String, key: String, what: String) throws(ConfigError) {
            let allowed = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            guard allowed, !text.isEmpty, text.count <= 64 else {
                throw error(key, "'\(text)' is not \(what): letters, digits, - and _, at most 64")
            }
        }

        private func required(_ table: TOMLTable, _ key: String, example: String) throws(ConfigError) -> String {
            guard let value = try string(table, key) else { throw error(key, "missing: add it, e.g. \(example)") }
            return value
        }

        private func string(_ table: TOMLTable, _ key: String) throws(ConfigError) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw error(key, "wrong type: expected a string") }
            return text
        }

        private func int(_ table: TOMLTable, _ key: String) throws(ConfigError) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw error(key, "wrong type: expected an integer") }
            return number
        }

        private func number(_ table: TOMLTable, _ key: String) throws(ConfigError) -> Double? {
            guard let value = table[key] else { return nil }
            if let number = value.int { return Double(number) }
            guard let number = value.double else { throw error(key, "wrong type: expected a number (seconds)") }
            return number
        }

        private func bool(_ table: TOMLTable, _ key: String) throws(ConfigError) -> Bool? {
            guard let value = table[key] else { return nil }
            guard let flag = value.bool else { throw error(key, "wrong type: expected a boolean (true or false)") }
            return flag
        }
    }
}
