import ArgumentParser
import ShmCLI
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct ShmWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shm-writer",
        abstract: "Send messages into a shmd channel.",
        discussion: """
            Sends each --message (its UTF-8 bytes), or else each line of standard input (the bytes \
            between two newlines, exactly; a last line without a newline too), as one message, and \
            exits 0 once all of them are in the channel.
            \(ExitCodeTable.writer.helpLine)
            """)

    @OptionGroup var channel: ChannelOptions

    @Option(name: .customLong("message"), help: "A message to send; repeat for several. Without it, stdin is read.")
    var messages: [String] = []

    func run() throws {
        ClientSignals.detachOnTermination()
        let timeout = channel.timeout
        do {
            let writer = try ChannelWriter(channel: channel.name, prefix: channel.prefix, waitSeconds: channel.wait)
            if messages.isEmpty {
                try sendLines(of: STDIN_FILENO, to: writer)
            } else {
                for message in messages {
                    try writer.send(message.utf8, timeoutSeconds: timeout)
                }
            }
        } catch {
            throw ExitCode(ClientCommand.report(error, program: "shm-writer"))
        }
    }

    /// Sends each line of `input` as one message, its bytes exactly (see `LineSplitter`), as
    /// the lines arrive: a line is in the channel before the next one is read to its end.
    private func sendLines(of input: Int32, to writer: ChannelWriter) throws {
        let timeout = channel.timeout
        var lines = LineSplitter(limit: writer.maximumMessageSize)
        let send = { (line: LineSplitter.Line) throws in
            switch line {
            case let .bytes(bytes): try writer.send(bytes, timeoutSeconds: timeout)
            case let .tooLong(size): throw ChannelError.messageTooLarge(channel: writer.channel, size: size, limit: writer.maximumMessageSize)
            }
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try StreamIO.read(input, into: chunk, name: "standard input")
            if count == 0 { break }
            try lines.feed(UnsafeRawBufferPointer(rebasing: chunk[..<count]), send)
        }
        try lines.finish(send)
    }
}
