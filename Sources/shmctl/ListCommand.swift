import ArgumentParser
import ShmCLI
import ShmInspect
import ShmKit

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "One line per channel: geometry, fill, state, clients, counts, daemon; then what is stuck.",
        discussion: """
            Examples:
              shmctl list
              shmctl list --prefix bench
              shmctl list --json
            """)

    @OptionGroup var options: InspectOptions

    func run() throws {
        let prefix = options.searchPrefix
        var reports: [ChannelReport] = []
        var failures: [String] = []
        for found in ChannelDiscovery.channels(prefix: prefix) {
            do {
                reports.append(try ChannelReport(found))
            } catch {
                failures.append("\(found.file): \(error)")
            }
        }
        for failure in failures { ClientCommand.writeAll(2, "shmctl: cannot read \(failure)\n") }
        if options.json {
            print(try ReportJSON.encode(reports))
        } else if reports.isEmpty && failures.isEmpty {
            print("no shmd channels in \(ChannelDiscovery.directory)" + (prefix.map { " under prefix \($0)" } ?? ""))
        } else {
            print(ReportText.list(reports))
        }
    }
}
