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
        abstract: "Print messages from a shmd channel, one per line.",
        discussion: """
            Prints each message on its own line as it arrives. Exits 0 after --count messages, or \
            when shmd closes the channel and every message in it was printed.
            \(ExitCodeTable.reader.helpLine)
            """)

    @OptionGroup var channel: ChannelOptions

    @Option(help: "Stop after this many messages.")
    var count: Int?

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        ClientSignals.detachOnTermination()
        let name = channel.name
        do {
            let reader = try ChannelReader(channel: name, prefix: channel.prefix, waitSeconds: channel.wait)
            var line = [UInt8](repeating: 0, count: reader.maximumMessageSize + 1)
            var received = 0
            while count.map({ received < $0 }) ?? true {
                // One write per message, so every message is on stdout the moment it arrives.
                let delivered = try reader.receive(timeoutSeconds: channel.timeout) { message -> Bool in
                    let printed = line.withUnsafeMutableBytes { buffer in
                        buffer.copyMemory(from: message)
                        buffer[message.count] = UInt8(ascii: "\n")
                        return ClientCommand.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer(rebasing: buffer[...message.count]))
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
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ExitCode(ClientCommand.report(error, program: "shm-reader"))
        }
    }
}
