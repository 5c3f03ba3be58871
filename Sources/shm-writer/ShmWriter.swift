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
            exits 0 once all of them are in the channel. With --binary, standard input is frames \
            instead: each a 4-byte little-endian length, then that many bytes, sent as one message.
            \(ExitCodeTable.writer.helpLine)

            Examples:
              shm-writer demo --message hello --message world
              seq 1000 | shm-writer demo --wait 10
              shm-writer demo --binary < frames.bin
              shm-writer jobs --prefix test --timeout 2 --message "one more"
            """)

    @OptionGroup var channel: ChannelOptions

    @Option(name: .customLong("message"), help: "A message to send; repeat for several. Without it, stdin is read.")
    var messages: [String] = []

    @Flag(help: "Read frames from stdin instead of lines: a 4-byte little-endian length, then that many bytes.")
    var binary = false

    func validate() throws {
        if binary && !messages.isEmpty { throw ValidationError("--binary reads frames from stdin: give no --message with it") }
    }

    func run() throws {
        ClientSignals.detachOnTermination()
        let timeout = channel.timeout
        do {
            let writer = try ChannelWriter(channel: channel.name, prefix: channel.prefix, waitSeconds: channel.wait)
            if binary {
                try sendFrames(of: STDIN_FILENO, to: writer)
            } else if messages.isEmpty {
                try sendLines(of: STDIN_FILENO, to: writer)
            } else {
                for message in messages {
                    try writer.send(message.utf8, timeoutSeconds: timeout)
                }
            }
        } catch let error as TruncatedFrame {
            ClientCommand.writeAll(STDERR_FILENO, "shm-writer: \(error)\n")
            throw ExitCode(SysExit.dataError.rawValue)
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
        try readAll(input) { try lines.feed($0, send) }
        try lines.finish(send)
    }

    /// Reads `input` to its end in 64 KiB chunks, handing each to `feed` as it arrives.
    private func readAll(_ input: Int32, _ feed: (UnsafeRawBufferPointer) throws -> Void) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try StreamIO.read(input, into: chunk, name: "standard input")
            if count == 0 { return }
            try feed(UnsafeRawBufferPointer(rebasing: chunk[..<count]))
        }
    }

    /// Sends each frame of `input` as one message (see `FrameSplitter`), as the frames arrive.
    ///
    /// - Throws: `ChannelError.messageTooLarge` for a frame longer than a slot, as soon as its
    ///   length is read; `TruncatedFrame` when the input ends inside a frame. The frames before
    ///   either are in the channel.
    private func sendFrames(of input: Int32, to writer: ChannelWriter) throws {
        let timeout = channel.timeout
        var frames = FrameSplitter(limit: writer.maximumMessageSize)
        let send = { (frame: FrameSplitter.Frame) throws in
            switch frame {
            case let .bytes(bytes): try writer.send(bytes, timeoutSeconds: timeout)
            case let .tooLong(size): throw ChannelError.messageTooLarge(channel: writer.channel, size: size, limit: writer.maximumMessageSize)
            }
        }
        try readAll(input) { try frames.feed($0, send) }
        if let truncation = frames.finish() { throw TruncatedFrame(channel: writer.channel, truncation: truncation) }
    }
}

/// Standard input of `shm-writer --binary` ended inside a frame (exit 65).
struct TruncatedFrame: Error, CustomStringConvertible {
    let channel: String
    let truncation: FrameSplitter.Truncation

    var description: String {
        let place: String
        switch truncation {
        case let .length(missing):
            place = "the 4-byte length of a frame: \(missing) byte\(missing == 1 ? " is" : "s are") missing"
        case let .payload(size, missing):
            place = "a frame of \(size) bytes: \(missing) byte\(missing == 1 ? " is" : "s are") missing"
        }
        return "standard input for channel '\(channel)' ends inside \(place); the frames before it were sent, this one was not"
    }
}
