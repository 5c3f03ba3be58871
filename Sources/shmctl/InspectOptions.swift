import ArgumentParser
import ShmInspect

/// `--prefix` and `--json`, shared by the commands that show channels.
struct InspectOptions: ParsableArguments {
    @Option(help: "Only channels under this prefix (default: [daemon] prefix of /etc/shmd/shmd.toml, or every prefix without that file).")
    var prefix: String?

    @Flag(help: "Print JSON (the schema is channel-report.schema.json, in the README).")
    var json = false

    /// The prefix to search under: the option, the config's, or `nil` for every prefix.
    var searchPrefix: String? { prefix ?? DefaultPrefix.read() }
}
