import Foundation
import ShmKit
import TOMLKit

/// A bridge as `shmctl bridges` shows it: what its status file (`DIR/NAME.status`, `key value`
/// lines that shm-bridge replaces about once a second) last said, and whether its process still
/// runs. The file outlives the bridge on purpose: a stopped bridge still shows its last figures.
package struct BridgeStatus: Codable, Equatable, Sendable {
    /// The bridge's name (`shm-bridge@NAME`).
    package var bridge: String
    /// `out` (channel to NATS) or `in` (NATS into the channel).
    package var direction: String
    /// The process that wrote the file.
    package var pid: Int32
    /// Whether that process still runs (and is a shm-bridge).
    package var running: Bool
    /// The link's last state (`connected`, `unreachable`, `waiting-for-channel`...), or
    /// `stopped` when the process is gone.
    package var state: String
    /// Messages handed on: published and acknowledged (out), written into the channel (in).
    package var forwarded: UInt64
    /// Published or delivered and not yet acknowledged, when the file was written.
    package var inFlight: UInt64
    /// Acknowledgements: JetStream's of the publishes (out), the bridge's of the deliveries (in).
    package var acked: UInt64
    /// Windows published again after a failed or late acknowledgement (out).
    package var republished: UInt64
    /// Messages JetStream delivered more than once (in).
    package var redelivered: UInt64
    /// Redelivered messages that were already in the channel, dropped (in).
    package var duplicatesDropped: UInt64
    /// Messages too large for the destination's slot, sent to the dead-letter subject.
    package var deadLettered: UInt64
    /// Times the NATS connection came back after a loss.
    package var reconnects: UInt64
    /// The file it was read from.
    package var file: String

    enum CodingKeys: String, CodingKey {
        case bridge, direction, pid, running, state, forwarded, acked, republished, redelivered, reconnects, file
        case inFlight = "in-flight"
        case duplicatesDropped = "duplicates-dropped"
        case deadLettered = "dead-lettered"
    }

    /// Where the packaged unit's bridges write their files (its `RuntimeDirectory=`).
    package static let defaultDirectory = "/run/shm-bridge"
    /// shm-bridge's config, read for the bridges' `status-directory` keys.
    package static let configPath = "/etc/shmd/bridge.toml"

    /// Parses the text of status file `file`.
    ///
    /// - Throws: `BridgeStatusError` naming the file and the line or key at fault.
    package init(text: String, file: String) throws(BridgeStatusError) {
        var values: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let space = line.firstIndex(of: " ") else {
                throw BridgeStatusError(file: file, reason: "line \(number + 1) is not 'key value': '\(line)'")
            }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        func value(_ key: String) throws(BridgeStatusError) -> String {
            guard let value = values[key] else { throw BridgeStatusError(file: file, reason: "no '\(key)' line") }
            return value
        }
        func count(_ key: String) throws(BridgeStatusError) -> UInt64 {
            let text = try value(key)
            guard let number = UInt64(text) else { throw BridgeStatusError(file: file, reason: "'\(key)' is not a count: '\(text)'") }
            return number
        }
        bridge = try value("bridge")
        direction = try value("direction")
        guard let pid = Int32(try value("pid")) else { throw BridgeStatusError(file: file, reason: "'pid' is not a process id") }
        self.pid = pid
        // A pid reused by another program is no bridge: the file then belongs to a dead one.
        running = ProcessCondition(of: ProcessIdentity(pid: pid, startTime: 0)) != .dead && ProcessCommand.name(of: pid) == "shm-bridge"
        state = running ? try value("state") : "stopped"
        forwarded = try count("forwarded")
        inFlight = running ? try count("in-flight") : 0
        acked = try count("acked")
        republished = try count("republished")
        redelivered = try count("redelivered")
        duplicatesDropped = try count("duplicates-dropped")
        deadLettered = try count("dead-lettered")
        reconnects = try count("reconnects")
        self.file = file
    }

    /// Every bridge whose status file is in one of `directories`, sorted by name; the files that
    /// cannot be read or parsed come back as errors, for the caller to report.
    package static func all(in directories: [String]) -> (bridges: [BridgeStatus], failures: [BridgeStatusError]) {
        var bridges: [BridgeStatus] = []
        var failures: [BridgeStatusError] = []
        for directory in directories {
            for name in FileList.names(in: directory).sorted() where name.hasSuffix(".status") && !name.hasPrefix(".") {
                let file = directory + "/" + name
                do throws(BridgeStatusError) {
                    guard let text = Syscall.readSmallFile(file) else { throw BridgeStatusError(file: file, reason: "cannot be read") }
                    bridges.append(try BridgeStatus(text: text, file: file))
                } catch {
                    failures.append(error)
                }
            }
        }
        return (bridges.sorted { $0.bridge < $1.bridge }, failures)
    }

    /// The folders to look in: the default one and every `status-directory` of the bridges in
    /// `config`. Only that key is read, so that a config shm-bridge would refuse still works.
    package static func directories(config: String = configPath) -> [String] {
        var folders = [defaultDirectory]
        guard let text = try? String(contentsOfFile: config, encoding: .utf8), let table = try? TOMLTable(string: text),
            let bridges = table["bridge"]?.array
        else { return folders }
        for index in 0..<bridges.count {
            if let folder = bridges[index].table?["status-directory"]?.string, !folders.contains(folder) { folders.append(folder) }
        }
        return folders
    }
}

/// A status file `shmctl bridges` cannot use.
package struct BridgeStatusError: Error, CustomStringConvertible, Sendable {
    package let file: String
    package let reason: String

    package var description: String { "\(file): \(reason); shm-bridge rewrites it every second while it runs (remove a stale one)" }
}
