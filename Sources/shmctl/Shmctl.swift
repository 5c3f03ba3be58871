import ArgumentParser

@main
struct Shmctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shmctl",
        abstract: "See shmd's channels, who is attached and what is stuck, from their headers in /dev/shm.",
        discussion: """
            Every command reads the channels' headers and /proc; none asks shmd anything, so they \
            work while shmd is stopped, stuck or gone. Channels are found by their header magic. \
            Without --prefix, the prefix is the one /etc/shmd/shmd.toml gives ([daemon] prefix), \
            or, without that file, every prefix.

            Examples:
              shmctl list
              shmctl status demo
              shmctl list --json | jq '.[].stuck'
              shmctl metrics --output /var/lib/prometheus/node-exporter/shmd.prom
              shmctl bridges
            """,
        subcommands: [ListCommand.self, StatusCommand.self, WatchCommand.self, GCCommand.self, MetricsCommand.self, BridgesCommand.self])
}
