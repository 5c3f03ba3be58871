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
            Exit codes: 64 usage, 65 header mismatch, 69 no such channel, 75 timeout, \
            77 permission denied.
            """)

    @Argument(help: "The channel's name, as in shmd.toml.")
    var name: String

    @Option(help: "The object-name prefix shmd uses ([daemon] prefix).")
    var prefix = "shmd"

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Option(help: "Seconds to wait for a message at most (default: as long as the channel is open).")
    var timeout: Double?

    @Option(help: "Seconds to wait for shmd to create the channel (default: 0, fail at once).")
    var wait: Double?

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
        for (value, option) in [(timeout, "--timeout"), (wait, "--wait")] {
            if let problem = ClientCommand.secondsOptionProblem(value, option: option) { throw ValidationError(problem) }
        }
    }

    func run() throws {
        ClientSignals.detachOnTermination()
        do {
            let reader = try ChannelReader(channel: name, prefix: prefix, wait: wait)
            var line = [UInt8](repeating: 0, count: reader.maximumMessageSize + 1)
            var received = 0
            while count.map({ received < $0 }) ?? true {
                // One write per message, so every message is on stdout the moment it arrives.
                let delivered = try reader.receive(timeout: timeout) { message -> Bool in
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
