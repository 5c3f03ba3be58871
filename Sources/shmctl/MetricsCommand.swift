import ArgumentParser
import ShmCLI
import ShmInspect
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Every counter and gauge of every channel, in the Prometheus text format (for node exporter's textfile collector).",
        discussion: """
            One series per channel, labelled prefix and channel: messages written, read, \
            abandoned, redelivered and dropped, dead clients and failed wake-ups (counters, \
            ending in _total); queued messages, fill, slots, slot size, attached clients by role, \
            stuck holdings, and whether the owning shmd is up (gauges). shmd_channel_info carries \
            the layout and protocol.

            With --output, the file is replaced whole: the metrics go to a temporary file in the \
            same folder, which is flushed to disk and renamed over FILE, so a reader never sees \
            half of one. shmd-metrics.timer runs this every 15 s into \
            /var/lib/prometheus/node-exporter/shmd.prom, the folder Debian's node exporter reads.

            A channel that cannot be read is named on standard error and counted in \
            shmd_channels_unreadable; the others are still written, and the exit status is then \
            that channel's error's (77 for permission denied).

            Examples:
              shmctl metrics
              shmctl metrics --prefix bench | grep _written_total
              shmctl metrics --output /tmp/textfile/shmd.prom
            """)

    @Option(help: "Only channels under this prefix (default: [daemon] prefix of /etc/shmd/shmd.toml, or every prefix without that file).")
    var prefix: String?

    @Option(help: ArgumentHelp("Replace FILE with the metrics, atomically, instead of printing them.", valueName: "FILE"))
    var output: String?

    func run() throws {
        var reports: [ChannelReport] = []
        var unreadable: [(FoundChannel, Error)] = []
        for found in ChannelDiscovery.channels(prefix: prefix ?? DefaultPrefix.read()) {
            do {
                reports.append(try ChannelReport(found))
            } catch ChannelError.notFound {
                // Removed since it was found (a reload, shmd stopping): it is not there to measure.
                continue
            } catch {
                unreadable.append((found, error))
            }
        }
        let text = ChannelMetrics.exposition(reports, unreadable: unreadable.count)
        if let output {
            do {
                try AtomicFile.replace(output, with: text)
            } catch let error as AtomicFileError {
                ClientCommand.writeAll(STDERR_FILENO, "shmctl: \(error)\n")
                throw ExitCode(error.exitCode.rawValue)
            }
        } else {
            text.withUnsafeBytes { _ = ClientCommand.writeAll(STDOUT_FILENO, $0) }
        }
        var status: Int32 = 0
        for (found, error) in unreadable {
            status = ClientCommand.report(error, program: "shmctl: \(found.file) is left out")
        }
        if status != 0 { throw ExitCode(status) }
    }
}
