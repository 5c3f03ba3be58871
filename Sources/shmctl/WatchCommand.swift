import ArgumentParser
import CShim
import Foundation
import ShmInspect
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "A live view of the channels, refreshed every second: fill, rates in and out, clients, what is stuck.",
        discussion: """
            Per channel: a fill bar, messages/s and MB/s written and read, the attached clients \
            and any slot held longer than stuck-after. MB/s is estimated from the mean length of \
            the last messages written: the header counts messages, not bytes. q or Ctrl-C quits \
            and restores the terminal; a resize redraws at once.

            Examples:
              shmctl watch
              shmctl watch demo
              shmctl watch --prefix bench --interval 0.5
            """)

    @Argument(help: "Only this channel (default: every channel under the prefix).")
    var name: String?

    @Option(help: "Only channels under this prefix (default: [daemon] prefix of /etc/shmd/shmd.toml, or every prefix without that file).")
    var prefix: String?

    @Option(help: "Seconds between refreshes.")
    var interval = 1.0

    func validate() throws {
        guard interval.isFinite, interval >= 0.1, interval <= 3600 else {
            throw ValidationError("--interval must be between 0.1 and 3600 seconds, not \(interval)")
        }
    }

    func run() throws {
        let signals = [SIGINT, SIGTERM, SIGHUP, SIGWINCH]
        let signalDescriptor = signals.withUnsafeBufferPointer { cshim_signal_descriptor($0.baseAddress, Int32($0.count)) }
        guard signalDescriptor >= 0 else { throw ValidationError("shmctl watch: signalfd: \(String(cString: strerror(errno)))") }
        defer { close(signalDescriptor) }
        let terminal = try WatchTerminal()
        defer { terminal.restore() }
        let prefix = self.prefix ?? DefaultPrefix.read()
        var previous: [String: (report: ChannelReport, at: UInt64)] = [:]
        var screen: [(report: ChannelReport, rates: ChannelRates)] = []

        func sample() {
            let now = SystemClock.monotonicNanoseconds()
            let found = ChannelDiscovery.channels(prefix: prefix).filter { name == nil || $0.channel == name }
            var next: [String: (report: ChannelReport, at: UInt64)] = [:]
            screen = found.compactMap { channel in
                guard let report = try? ChannelReport(channel) else { return nil }
                let rates = previous[channel.file].map { ChannelRates(from: $0.report, to: report, seconds: Double(now - $0.at) / 1e9) } ?? .zero
                next[channel.file] = (report, now)
                return (report, rates)
            }
            previous = next
        }
        func draw() {
            let time = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withFullTime, .withColonSeparatorInTime])
            var lines = WatchScreen.lines(screen, prefix: prefix, width: terminal.size.columns, time: time)
            if let name, screen.isEmpty { lines.append("channel \(name) is not there (yet)") }
            terminal.draw(lines)
        }

        sample()
        draw()
        var next = SystemClock.monotonicNanoseconds() + UInt64(interval * 1e9)
        while true {
            let now = SystemClock.monotonicNanoseconds()
            if now >= next {
                sample()
                draw()
                next = now + UInt64(interval * 1e9)
                continue
            }
            var waits = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0), pollfd(fd: signalDescriptor, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&waits, 2, Int32(max(1, (next - now) / 1_000_000)))
            guard ready > 0 else { continue } // the timeout, or EINTR: look at the clock again
            if waits[0].revents != 0 {
                var key = [UInt8](repeating: 0, count: 64)
                let got = read(STDIN_FILENO, &key, key.count)
                // End of input (the terminal went away) ends the watch too.
                if got <= 0 || key[..<got].contains(where: { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") }) { return }
            }
            if waits[1].revents != 0 {
                var info = [UInt8](repeating: 0, count: 128) // struct signalfd_siginfo; ssi_signo first
                while read(signalDescriptor, &info, info.count) == info.count {
                    let signal = info.withUnsafeBytes { $0.load(as: UInt32.self) }
                    if signal != UInt32(SIGWINCH) { return }
                    draw()
                }
            }
        }
    }
}
