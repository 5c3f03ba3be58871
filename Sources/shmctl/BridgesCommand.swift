import ArgumentParser
import ShmCLI
import ShmInspect
import ShmKit

struct BridgesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridges",
        abstract: "One line per shm-bridge: direction, state, and its counters (forwarded, in flight, acked, redelivered, duplicates dropped...).",
        discussion: """
            Reads the status files the bridges write about once a second (NAME.status) in \
            \(BridgeStatus.defaultDirectory) and in each status-directory of \(BridgeStatus.configPath); \
            a bridge whose process is gone shows state 'stopped' with its last figures. Counters \
            start at 0 when a bridge starts.

            Examples:
              shmctl bridges
              shmctl bridges --json
              shmctl bridges --directory /tmp/bridge-status
            """)

    @Option(help: "Read the status files in this folder only (default: \(BridgeStatus.defaultDirectory) and the config's status-directory keys).")
    var directory: String?

    @Flag(help: "Print JSON: an array of objects with the status file's keys, plus running and file.")
    var json = false

    func run() throws {
        let (bridges, failures) = BridgeStatus.all(in: directory.map { [$0] } ?? BridgeStatus.directories())
        for failure in failures { ClientCommand.writeAll(2, "shmctl: cannot read \(failure)\n") }
        if json {
            print(try ReportJSON.encode(bridges))
        } else if bridges.isEmpty && failures.isEmpty {
            print(
                "no bridge status files in \(directory ?? BridgeStatus.directories().joined(separator: ", ")): is shm-bridge running? systemctl status 'shm-bridge@*'"
            )
        } else {
            print(BridgeText.list(bridges))
        }
        if !failures.isEmpty { throw ExitCode(SysExit.dataError.rawValue) }
    }
}
