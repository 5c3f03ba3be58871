import ArgumentParser
import ShmKit

@main
struct ShmWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shm-writer",
        abstract: "Send messages into a shmd channel.",
        discussion: """
            Sends each --message, or else each line of standard input, as one message, and exits 0 \
            once all of them are in the channel.
            Exit codes: 64 usage, 65 message too large or header mismatch, 69 no such channel or \
            channel closed, 75 timeout, 77 permission denied.
            """)

    @Argument(help: "The channel's name, as in shmd.toml.")
    var name: String

    @Option(help: "The object-name prefix shmd uses ([daemon] prefix).")
    var prefix = "shmd"

    @Option(name: .customLong("message"), help: "A message to send; repeat for several. Without it, stdin is read.")
    var messages: [String] = []

    @Option(help: "Seconds to wait for a free slot at most, per message (default: as long as the channel is open).")
    var timeout: Double?

    @Option(help: "Seconds to wait for shmd to create the channel (default: 0, fail at once).")
    var wait: Double?

    func validate() throws {
        for (value, option) in [(timeout, "--timeout"), (wait, "--wait")] {
            if let problem = ClientCommand.secondsOptionProblem(value, option: option) { throw ValidationError(problem) }
        }
    }

    func run() throws {
        do {
            let writer = try ChannelWriter(channel: name, prefix: prefix, wait: wait)
            if messages.isEmpty {
                while let line = readLine(strippingNewline: true) {
                    try writer.send(line.utf8, timeout: timeout)
                }
            } else {
                for message in messages {
                    try writer.send(message.utf8, timeout: timeout)
                }
            }
        } catch {
            throw ExitCode(ClientCommand.report(error, program: "shm-writer"))
        }
    }
}
