import ArgumentParser
import ShmCLI
import ShmInspect
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "One channel in full: each client's pid, role, command, whether it is alive, stopped or dead, and what it holds.",
        discussion: """
            A slot held longer than the channel's stuck-after (5 s unless shmd.toml says \
            otherwise) is marked STUCK.

            Examples:
              shmctl status demo
              shmctl status demo --prefix bench --json
            """)

    @Argument(help: "The channel's name, as in shmd.toml.")
    var name: String

    @OptionGroup var options: InspectOptions

    func run() throws {
        let report: ChannelReport
        do {
            report = try ChannelReport(try Self.find(name, prefix: options.searchPrefix))
        } catch {
            throw ExitCode(ClientCommand.report(error, program: "shmctl"))
        }
        print(options.json ? try ReportJSON.encode(report) : ReportText.status(report))
    }

    /// Channel `name` under `prefix`, or under whichever prefix has it when `prefix` is `nil`.
    ///
    /// - Throws: `ChannelError.notFound`, or `.invalidName` when several prefixes have it.
    static func find(_ name: String, prefix: String?) throws -> FoundChannel {
        let names = try ChannelNames(prefix: prefix ?? ChannelNames.defaultPrefix, channel: name)
        let matches = ChannelDiscovery.channels(prefix: prefix).filter { $0.channel == name }
        guard let first = matches.first else {
            throw ChannelError.notFound(channel: name, object: prefix == nil ? "/*.\(name)" : names.segment, waited: 0)
        }
        guard matches.count == 1 else {
            throw ChannelError.invalidName(
                name: name, reason: "channels of that name exist under several prefixes (\(matches.map(\.prefix).joined(separator: ", "))): give --prefix")
        }
        return first
    }
}
