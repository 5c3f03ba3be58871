import Foundation
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// The shmd the benchmark measures against: started from the same build with a config of its
/// own prefix holding one channel (and one reply channel) per transport and size.
final class BenchDaemon {
    let prefix = "bench\(getpid())"
    let process: Process
    private let configPath: String

    init(directory: String, sizes: [Int], transports: [Transport], spinNanoseconds: UInt64?) throws {
        configPath = NSTemporaryDirectory() + "\(prefix).toml"
        var toml = "[daemon]\nprefix = \"\(prefix)\"\nsweep-interval = 1.0\n"
        for size in sizes {
            for transport in transports where transport.usesShmd && transport.supports(size: size) {
                for channel in [Self.channel(transport, size), Self.replyChannel(transport, size)] {
                    toml += "\n[[channel]]\nname = \"\(channel)\"\n"
                    if transport == .seed {
                        toml +=
                            "layout = \"seed\"\nsegment = \"/\(prefix)_\(channel)\"\nsem-empty = \"/\(prefix)_\(channel)_e\"\nsem-full = \"/\(prefix)_\(channel)_f\"\n"
                    } else {
                        toml += "slots = \(Self.slots(size: size))\nslot-size = \(max(size, 16))\nprotocol = \"\(transport.channelProtocol ?? "fast")\"\n"
                        if transport.channelProtocol == "fast", let spinNanoseconds { toml += "spin-us = \(Double(spinNanoseconds) / 1000)\n" }
                        if transport == .fanout { toml += "delivery = \"fanout\"\nslow-reader = \"block\"\n" }
                    }
                }
            }
        }
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let shmd = directory + "/shmd"
        guard access(shmd, X_OK) == 0 else {
            throw BenchError(
                "\(shmd): no shmd beside shm-bench; build both together (swift build -c release, or make release)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: shmd)
        process.arguments = ["--config", configPath]
        process.standardError = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "NOTIFY_SOCKET" }
        try process.run()
        DaemonReaper.arm(pid: process.processIdentifier, configPath: configPath)
        // Ready when the last channel can be opened.
        let last = sizes.last.flatMap { size in transports.last(where: { $0.usesShmd && $0.supports(size: size) }).map { Self.replyChannel($0, size) } }
        let deadline = Date().addingTimeInterval(20)
        while let last, (try? ChannelSnapshot(channel: last, prefix: prefix)) == nil {
            guard process.isRunning, Date() < deadline else { throw BenchError("shmd did not create the benchmark channels") }
            usleep(10_000)
        }
    }

    deinit { stop() }

    func stop() {
        DaemonReaper.disarm()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        unlink(configPath)
    }

    /// CPU time (ns) and voluntary context switches of shmd so far.
    var usage: (cpuNanoseconds: UInt64, contextSwitches: UInt64) {
        let pid = process.processIdentifier
        let ticks = ProcessStat(pid: pid)?.cpuTicks ?? 0
        let cpu = ticks * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
        var switches: UInt64 = 0
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches") || line.hasPrefix("nonvoluntary_ctxt_switches") {
                switches += UInt64(line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? 0
            }
        }
        return (cpu, switches)
    }

    static func channel(_ transport: Transport, _ size: Int) -> String { "\(transport.rawValue)-\(size)" }
    static func replyChannel(_ transport: Transport, _ size: Int) -> String { "\(transport.rawValue)-\(size)-back" }
    /// The slots of the benchmark's channels (and of the C ring's and iceoryx's queues beside
    /// them). From 1 MiB on, 8: a ring of 64 such slots is 64 MiB, twice this machine's 32 MiB
    /// last-level cache, and measured at 2–3× the time per KiB of 8 slots, which keeps it level
    /// with 64 KiB messages (the in-place rows, shm-bench run --sizes 65536,1048576).
    static func slots(size: Int) -> Int { size >= 1 << 20 ? 8 : size > 4096 ? 64 : 256 }
}
