import ArgumentParser
import ShmCLI
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct ShmReader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shm-reader",
        abstract: "Print messages from a shmd channel, one per line (or frame, with --binary).",
        discussion: """
            Prints each message on its own line as it arrives (with --binary, as a frame: a 4-byte \
            little-endian length, then the message's bytes). Exits 0 after --count messages, or \
            when shmd closes the channel and every message in it was printed.

            On a fan-out channel (delivery = "fanout") every reader gets every message, from the \
            next one written, or with --from oldest from the oldest one still in the ring. When \
            the channel's writers lap this reader (slow-reader = "drop"), each gap is reported \
            on stderr with how many messages it lost, and the total when it exits.
            \(ExitCodeTable.reader.helpLine)

            Examples:
              shm-reader demo
              shm-reader demo --count 3 --wait 10
              shm-reader jobs --prefix test --timeout 5
              shm-reader demo --binary --count 100 > frames.bin
              shm-reader ticks --from oldest
            """)

    @OptionGroup var channel: ChannelOptions

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Flag(help: "Write frames instead of lines: a 4-byte little-endian length, then the message's bytes.")
    var binary = false

    @Option(help: "Where a fan-out channel's reader starts: next (the next message written) or oldest (the oldest still in the ring).")
    var from: StartPosition = .next

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        ClientSignals.detachOnTermination()
        let name = channel.name
        do {
            let reader = try ChannelReader(channel: name, prefix: channel.prefix, waitSeconds: channel.wait, from: from)
            defer { reportTotalLoss(reader) }
            // A line is the message and "\n"; a frame its length (4 bytes, little-endian), then it.
            let (head, tail) = binary ? (4, 0) : (0, 1)
            var output = [UInt8](repeating: UInt8(ascii: "\n"), count: head + reader.maximumMessageSize + tail)
            var received = 0
            while count.map({ received < $0 }) ?? true {
                // One write per message, so every message is on stdout the moment it arrives.
                let delivered = try reader.receive(timeoutSeconds: channel.timeout) { message -> Bool in
                    let printed = output.withUnsafeMutableBytes { buffer in
                        if head > 0 { buffer.storeBytes(of: UInt32(message.count).littleEndian, as: UInt32.self) }
                        UnsafeMutableRawBufferPointer(rebasing: buffer[head...]).copyMemory(from: message)
                        if tail > 0 { buffer[head + message.count] = UInt8(ascii: "\n") }
                        return ClientCommand.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer(rebasing: buffer[..<(head + message.count + tail)]))
                    }
                    // Interrupted by a termination signal while holding the message: end now, so
                    // that shmd puts the message back for another reader instead of it being lost.
                    if !printed { ClientSignals.endIfTerminating() }
                    return printed
                }
                guard let delivered else {
                    // Not an error (exit 0), but said, so that a person or a log sees why it ended.
                    ClientCommand.writeAll(STDERR_FILENO, "shm-reader: \(ChannelError.closed(channel: name)); every queued message was printed\n")
                    break
                }
                guard delivered else { throw ExitCode(SysExit.osError.rawValue) }
                received += 1
                let gap = reader.takeGap()
                if gap > 0 {
                    ClientCommand.writeAll(
                        STDERR_FILENO,
                        "shm-reader: lost \(gap) messages of channel '\(name)' before message \(received): its writers lapped this reader (slow-reader = \"drop\")\n"
                    )
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitCode(ClientCommand.report(error, program: "shm-reader"))
        }
    }

    /// The reader's losses in all, when there were any, as the last line on stderr.
    private func reportTotalLoss(_ reader: ChannelReader) {
        guard reader.lostMessages > 0 else { return }
        ClientCommand.writeAll(STDERR_FILENO, "shm-reader: lost \(reader.lostMessages) messages of channel '\(channel.name)' in all\n")
    }
}
