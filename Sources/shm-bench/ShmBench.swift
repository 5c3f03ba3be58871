import ArgumentParser
import Foundation
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct ShmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shm-bench",
        abstract: "Measure shmd channels against pipes and Unix sockets, in the same run.",
        discussion: """
            Examples:
              shm-bench
              shm-bench run --sizes 64 --transports fast,pipe --rounds 3
              shm-bench help run
            """,
        subcommands: [RunCommand.self, RoleCommand.self, BridgeCommand.self],
        defaultSubcommand: RunCommand.self)
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmark matrix (the default).",
        discussion: """
            Starts shmd with channels of its own, then for each round and, interleaved, each size \
            and transport, starts a writer and a reader process (pinned to CPUs 0 and 1, or both \
            to 0 with --same-core) and measures one-way throughput and ping-pong round trips. \
            Prints medians with min–max and ratios to the pipe. With --compare, each shmd case \
            also runs with the other build's writer and reader (B) right after this build's (A), \
            before it every second round, and the table adds the ratio B/A.

            Examples:
              shm-bench run --sizes 64,1024 --transports fast,pipe --rounds 3
              shm-bench run --seconds 1 --spin-us 50 --spsc ./spsc
              shm-bench run --same-core --sizes 64 --no-round-trip
              shm-bench run --idle-seconds 0 --json out.json --csv out.csv
              shm-bench run --plot-data throughput.dat
              shm-bench run --compare ../base/shm-bench --transports fast
              shm-bench run --c-role ./shmkit_role --transports fast,c
              shm-bench run --python-roles roles.py --python /usr/bin/python3
              shm-bench run --iceoryx-role ./iceoryx_role --fanout-readers 3
              shm-bench run --peer-roles ./roles --transports fast,boost-mq
            """)

    @Option(help: "Message sizes in bytes, comma-separated.")
    var sizes = "64,1024,65536"

    @Option(
        help:
            "Transports, comma-separated: fast, fanout, in-place, classic, seed, pipe, socketpair; with --c-role also c, with --python-roles also python, iceoryx2-python, mp-queue, with --iceoryx-role also iceoryx, iceoryx-copy, with --peer-roles also boost-mq, zmq-pushpull, zmq-pair, posix-mq."
    )
    var transports = "fast,fanout,classic,seed,pipe,socketpair"

    @Option(help: "Interleaved rounds; medians are taken over them.")
    var rounds = 5

    @Option(help: "Target seconds per throughput measurement (counts are calibrated to it).")
    var seconds = 0.3

    @Flag(help: "Pin writer and reader to the same core.")
    var sameCore = false

    @Flag(help: "Skip the round-trip measurements.")
    var noRoundTrip = false

    @Option(
        help: ArgumentHelp(
            "Also a paced run at this many messages a second, evenly spaced, for --pace-seconds, at the smallest size: what each transport's processes cost in CPU at a light load (0: none).",
            valueName: "msgs/s"))
    var pace: UInt64 = 0

    @Option(help: "Seconds of each paced measurement.")
    var paceSeconds = 1.0

    @Option(
        help: ArgumentHelp(
            "Seconds a measurement may take beyond 20 times what calibration expects, before its roles are killed and it is reported as FAILED.",
            valueName: "seconds"))
    var deadline = 120.0

    @Option(help: "Spin budget of the fast protocol in microseconds (default: shmd's default).")
    var spinUs: Double?

    @Option(help: "The reference C ring (spsc.c built with gcc), run alongside as a baseline.")
    var spsc: String?

    @Option(
        help: ArgumentHelp(
            "The C role program over libshmkit (built from Sources/shm-bench/Roles/shmkit_role.c by make bench): adds the transport c.",
            valueName: "path"))
    var cRole: String?

    @Option(
        help: ArgumentHelp(
            "The Python role script (python/bench/roles.py): adds the transports python, iceoryx2-python (when its module imports) and mp-queue.",
            valueName: "path"))
    var pythonRoles: String?

    @Option(
        help: ArgumentHelp(
            "The C role program over iceoryx's C binding (built from Sources/shm-bench/Roles/iceoryx_role.c by make iceoryx-role): adds the transports iceoryx and iceoryx-copy (each subscriber copies every chunk out, as shmd fast's reader does), run under an iox-roudi of shm-bench's own.",
            valueName: "path"))
    var iceoryxRole: String?

    @Option(
        help: ArgumentHelp(
            "The folder of the peers' role programs (boost_role, zmq_role, mq_role, built from Sources/shm-bench/Roles by make peer-roles): adds the transports boost-mq, zmq-pushpull, zmq-pair and posix-mq; a peer whose program is missing is skipped.",
            valueName: "folder"))
    var peerRoles: String?

    @Option(
        help: ArgumentHelp(
            "Readers of the fan-out transports (fanout, iceoryx) in the throughput cases, comma-separated: a row per count, each reader getting every message.",
            valueName: "counts"))
    var fanoutReaders = "1,3"

    @Option(help: ArgumentHelp("The Python interpreter for --python-roles (default: python3 on PATH).", valueName: "path"))
    var python: String?

    @Option(
        help: ArgumentHelp(
            "Another shm-bench executable (B): each shmd transport is measured with its writer and reader too, on the same shmd and channels, interleaved with this one's (A).",
            valueName: "path"))
    var compare: String?

    @Option(help: "Seconds an idle fast reader is watched for CPU use (0 to skip).")
    var idleSeconds = 10.0

    @Option(help: "Write every sample as JSON here.")
    var json: String?

    @Option(help: "Write every sample as CSV here.")
    var csv: String?

    @Option(help: "Write median throughputs as a gnuplot data file here.")
    var plotData: String?

    /// Checks every option before shmd is started, so that a bad one is an error naming it, never
    /// a crash half-way with a daemon left behind.
    func validate() throws {
        _ = try sizeList()
        _ = try transportList()
        _ = try readerCounts()
        guard rounds >= 1 else { throw ValidationError("--rounds must be 1 or more, not \(rounds)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be more than 0, not \(seconds)") }
        guard deadline > 0 else { throw ValidationError("--deadline must be more than 0 seconds, not \(deadline)") }
        guard pace <= 10_000_000 else { throw ValidationError("--pace must be at most 10000000 messages a second, not \(pace)") }
        guard paceSeconds > 0, Double(pace) * paceSeconds <= 1e9 else {
            throw ValidationError("--pace-seconds must be more than 0, and --pace × --pace-seconds at most 1e9 messages, not \(paceSeconds)")
        }
        guard idleSeconds >= 0 else { throw ValidationError("--idle-seconds must be 0 (skip) or more, not \(idleSeconds)") }
        if let spinUs, !(0...Double(Layout.spinRange.upperBound) / 1000).contains(spinUs) {
            throw ValidationError("--spin-us must be between 0 and \(Layout.spinRange.upperBound / 1000), not \(spinUs)")
        }
        if let spsc, !FileManager.default.isExecutableFile(atPath: spsc) {
            throw ValidationError("--spsc \(spsc): no executable there (build it: gcc -O2 -o spsc spsc.c -lpthread, from ipc-baselines)")
        }
        if let compare { _ = try ComparedBuild(path: compare) }
        if let cRole, !FileManager.default.isExecutableFile(atPath: cRole) {
            throw ValidationError("--c-role \(cRole): no executable there (make bench builds it from Sources/shm-bench/Roles/shmkit_role.c)")
        }
        if let iceoryxRole, !FileManager.default.isExecutableFile(atPath: iceoryxRole) {
            throw ValidationError(
                "--iceoryx-role \(iceoryxRole): no executable there (make iceoryx-role builds it from Sources/shm-bench/Roles/iceoryx_role.c)")
        }
        if let peerRoles {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: peerRoles, isDirectory: &folder), folder.boolValue else {
                throw ValidationError("--peer-roles \(peerRoles): no such folder (make peer-roles builds the peers' role programs in .build/bench-roles)")
            }
        }
        if let pythonRoles, !FileManager.default.isReadableFile(atPath: pythonRoles) {
            throw ValidationError("--python-roles \(pythonRoles): no such file (it is python/bench/roles.py in the source tree)")
        }
        if pythonRoles != nil { _ = try pythonInterpreter() }
    }

    /// `--python`, or python3 from PATH.
    private func pythonInterpreter() throws -> String {
        if let python {
            guard FileManager.default.isExecutableFile(atPath: python) else { throw ValidationError("--python \(python): no executable there") }
            return python
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/python3") {
            return "\(folder)/python3"
        }
        throw ValidationError("--python-roles needs a python3 on PATH, or --python PATH")
    }

    private func sizeList() throws -> [Int] {
        try sizes.split(separator: ",").map { field in
            guard let size = Int(field), size >= 16 else {
                throw ValidationError("--sizes: '\(field)' is not a message size; sizes are whole bytes, 16 or more")
            }
            return size
        }
    }

    private func readerCounts() throws -> [Int] {
        try fanoutReaders.split(separator: ",").map { field in
            guard let readers = Int(field), (1...16).contains(readers) else {
                throw ValidationError("--fanout-readers: '\(field)' is not a reader count; counts are whole numbers from 1 to 16")
            }
            return readers
        }
    }

    private func transportList() throws -> [Transport] {
        var named = try transports.split(separator: ",").map { name -> Transport in
            guard let transport = Transport(rawValue: String(name)), transport.roles != .baseline else {
                throw ValidationError(
                    "--transports: unknown transport '\(name)' (fast, fanout, in-place, classic, seed, pipe, socketpair, c, python, iceoryx2-python, mp-queue, iceoryx, iceoryx-copy, boost-mq, zmq-pushpull, zmq-pair, posix-mq)"
                )
            }
            switch transport.roles {
            case .c where cRole == nil:
                throw ValidationError("--transports: \(name) needs --c-role PATH (make bench builds it)")
            case .python where pythonRoles == nil:
                throw ValidationError("--transports: \(name) needs --python-roles PATH (python/bench/roles.py)")
            case .peer where peerRoles == nil:
                throw ValidationError("--transports: \(name) needs --peer-roles FOLDER (make peer-roles builds it)")
            default: return transport
            }
        }
        // The options name their transports; each is measured once.
        let added =
            (cRole == nil ? [] : [Transport.c]) + (pythonRoles == nil ? [] : [.python, .iceoryx2Python, .multiprocessingQueue])
            + (iceoryxRole == nil ? [] : [.iceoryx, .iceoryxCopy]) + (peerRoles == nil ? [] : Transport.peers)
        named += added.filter { !named.contains($0) }
        return spsc == nil ? named : named + [.cRing, .cRingSmall]
    }

    func run() throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let directory = (executable as NSString).deletingLastPathComponent
        let sizeList = try sizeList()
        var transportList = try transportList()
        let compared = try compare.map { try ComparedBuild(path: $0) }
        let python = try pythonRoles.map { _ in try pythonInterpreter() }
        if let python, transportList.contains(.iceoryx2Python), !Self.imports("iceoryx2", python: python) {
            progress("skipping iceoryx2-python: \(python) cannot import iceoryx2 (pip install iceoryx2==0.10.0)")
            transportList.removeAll { $0 == .iceoryx2Python }
        }
        if transportList.contains(where: { $0.roles == .iceoryx }) {
            // Skipped, not failed: the other rows still mean something.
            if iceoryxRole == nil {
                progress("skipping iceoryx: no --iceoryx-role PATH (make iceoryx-role builds it from Sources/shm-bench/Roles/iceoryx_role.c)")
                transportList.removeAll { $0.roles == .iceoryx }
            } else if let why = IceoryxRoudi.unavailable() {
                progress("skipping iceoryx: \(why)")
                transportList.removeAll { $0.roles == .iceoryx }
            }
        }
        let peers = peerRoles.map { PeerRoles(directory: $0) }
        if let peers {
            for transport in Transport.peers where transportList.contains(transport) {
                if let why = peers.unavailable(transport) {
                    progress("skipping \(transport.rawValue): \(why)")
                    transportList.removeAll { $0 == transport }
                }
            }
        }
        let queueLimits = transportList.contains(.posixMQ) ? PosixQueueLimits(sizes: sizeList, progress: progress) : nil
        defer { queueLimits?.restore() }
        let readerCounts = try readerCounts()
        // The Python package finds this build's library there, unless told otherwise.
        setenv("SHMKIT_LIBRARY", directory + "/libshmkit.so", 0)

        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let pinning: (Int32, Int32) = sameCore || cpus < 2 ? (0, 0) : (0, 1)
        let daemon = try BenchDaemon(
            directory: directory, sizes: sizeList, transports: transportList,
            spinNanoseconds: spinUs.map { UInt64($0 * 1000) })
        let roudi =
            try transportList.contains(where: { $0.roles == .iceoryx }) ? IceoryxRoudi(prefix: daemon.prefix, sizes: sizeList, readers: readerCounts) : nil
        let prefix = daemon.prefix
        DaemonReaper.armLeftovers(prefix: prefix, sizes: sizeList)
        let sweep = {
            IceoryxLeftovers.remove(prefix: prefix)
            PeerLeftovers.remove(prefix: prefix, sizes: sizeList)
        }
        defer {
            roudi?.stop()
            daemon.stop()
            sweep()
        }
        var runner = MeasurementRunner(
            executable: executable, compared: compared?.executable, prefix: daemon.prefix,
            cpus: pinning, spsc: spsc, sameCore: sameCore,
            cRole: cRole, python: python.map { [$0, pythonRoles!] })
        runner.iceoryxRole = iceoryxRole
        runner.peerRoles = peers
        runner.sweep = sweep
        runner.pace = pace
        runner.deadlineSlack = deadline

        // With --compare, each shmd case is followed by the same case with B's roles.
        func cases(_ transport: Transport, _ size: Int, _ mode: BenchCase.Mode, readers: Int = 1) -> [BenchCase] {
            let a = BenchCase(transport: transport, size: size, mode: mode, readers: readers)
            return compared != nil && transport.usesShmd && transport.roles == .swift
                ? [a, BenchCase(transport: transport, size: size, mode: mode, binary: .b, readers: readers)] : [a]
        }
        var skipped: Set<String> = []
        // A peer that cannot carry a size here is skipped at that size, with a line once.
        func measurable(_ transport: Transport, _ size: Int) -> Bool {
            guard transport == .posixMQ, let why = PosixQueueLimits.unsupported(size: size) else { return true }
            if skipped.insert("\(size)").inserted { progress("skipping posix-mq at \(Report.size(size)): \(why)") }
            return false
        }
        var order: [BenchCase] = []
        for size in sizeList {
            for transport in transportList where transport.supports(size: size) && measurable(transport, size) {
                if transport.fansOut {
                    order += readerCounts.flatMap { cases(transport, size, .throughput, readers: $0) }
                } else {
                    order += cases(transport, size, .throughput)
                }
            }
            if !noRoundTrip {
                // The 16-slot ring stands beside the other in throughput; a round trip holds one message.
                for transport in transportList where transport.supports(size: size) && transport != .cRingSmall && measurable(transport, size) {
                    order += cases(transport, size, .roundTrip)
                }
            }
            if pace > 0, size == sizeList.min() {
                for transport in transportList where transport.canPace && transport.supports(size: size) {
                    order += cases(transport, size, .paced)
                }
            }
        }
        if pace > 0 {
            let unpaced = transportList.filter { !$0.canPace }.map(\.rawValue)
            if !unpaced.isEmpty { progress("no paced run of \(unpaced.joined(separator: ", ")): its writer cannot space its messages") }
        }

        // B runs a case with A's count: the same measurement, not one of the same length.
        let calibrated = order.filter { $0.binary == .a }
        progress("calibrating \(calibrated.count) cases")
        var counts: [BenchCase: UInt64] = [:]
        var expected: [BenchCase: Double] = [:]
        var results: [BenchCase: [Sample]] = [:]
        for benchCase in calibrated {
            // A case that fails here is reported as failed and left out of the rounds; the
            // others still mean something.
            do {
                let calibration = try calibrate(benchCase, runner: runner)
                counts[benchCase] = calibration.0
                expected[benchCase] = calibration.1
            } catch {
                progress("calibrating \(MeasurementRunner.name(benchCase)) failed: \(error)")
                results[benchCase] = [Sample(count: 0, errors: 0, failure: "calibration: \(error)")]
            }
        }
        let reported = order
        order.removeAll { counts[$0.onA] == nil && results[$0.onA] != nil }

        var streamed: UInt64 = 0
        var daemonCPU: UInt64 = 0
        var daemonSwitches: UInt64 = 0
        for round in 1...rounds {
            for benchCase in Self.roundOrder(order, round: round) {
                let before = daemon.usage
                let sample: Sample
                do {
                    sample = try runner.run(benchCase, count: counts[benchCase.onA]!, expectedSeconds: expected[benchCase.onA])
                } catch {
                    progress("[round \(round)/\(rounds)] \(MeasurementRunner.name(benchCase)) FAILED: \(error)")
                    results[benchCase, default: []].append(Sample(count: counts[benchCase.onA]!, errors: 0, failure: "round \(round): \(error)"))
                    continue
                }
                if benchCase.transport == .fast && benchCase.mode == .throughput && benchCase.binary == .a {
                    let after = daemon.usage
                    streamed += sample.count
                    daemonCPU += after.cpuNanoseconds - before.cpuNanoseconds
                    daemonSwitches += after.contextSwitches - before.contextSwitches
                }
                results[benchCase, default: []].append(sample)
                progress(
                    "[round \(round)/\(rounds)] \(benchCase.label) \(Report.size(benchCase.size)) \(benchCase.mode.rawValue): "
                        + (sample.messagesPerSecond.map { "\(Report.count($0)) msgs/s" } ?? sample.p50.map { "p50 \(Report.time($0))" } ?? ""))
            }
        }

        var report = Report(
            environment: .init(
                machine: Self.machine(), cpus: cpus, command: CommandLine.arguments.joined(separator: " "),
                date: ISO8601DateFormatter().string(from: Date()), sameCore: sameCore,
                compared: compared?.executable, fanoutReaders: readerCounts, pace: pace),
            rounds: rounds, results: results, order: reported)
        report.peerNotes = Self.queueNotes(
            sizes: sizeList, measured: transportList.contains(.posixMQ) && !noRoundTrip ? [1, 2] : [1], transports: transportList)
        if streamed > 0 {
            report.daemon = .init(messages: streamed, cpuMilliseconds: Double(daemonCPU) / 1e6, contextSwitches: daemonSwitches)
        }
        if idleSeconds > 0, transportList.contains(.fast), let size = sizeList.first {
            progress("watching an idle fast reader for \(idleSeconds) s")
            report.idleReader = try idleReader(executable: executable, prefix: daemon.prefix, size: size)
        }
        print(report.table)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let json { try encoder.encode(report).write(to: URL(fileURLWithPath: json)) }
        if let csv { try report.csv.write(toFile: csv, atomically: true, encoding: .utf8) }
        if let plotData { try report.plotData.write(toFile: plotData, atomically: true, encoding: .utf8) }
        let failed = report.failures
        if !failed.isEmpty {
            throw BenchError(
                "\(failed.count) measurement(s) failed: \(failed.map(\.name).joined(separator: "; ")); the table above says why, each in its FAILED line")
        }
    }

    /// The cases of one round: `order`, except that every second round runs each B case before
    /// its A case instead of after it, so that neither build always has the same place (what ran
    /// just before, where shmd's 1 s sweep falls) to itself.
    static func roundOrder(_ order: [BenchCase], round: Int) -> [BenchCase] {
        guard round % 2 == 0 else { return order }
        var cases = order
        for index in cases.indices.dropFirst() where cases[index].binary == .b {
            cases.swapAt(index - 1, index)
        }
        return cases
    }

    /// A count that makes one measurement last about `seconds`, from a short trial run, and how
    /// long that count is expected to take (for its deadline).
    private func calibrate(_ benchCase: BenchCase, runner: MeasurementRunner) throws -> (UInt64, Double) {
        if benchCase.mode == .paced { return (max(UInt64(Double(pace) * paceSeconds), 1), paceSeconds) }
        if benchCase.mode == .throughput {
            // Grow the trial until it lasts long enough to mean something.
            var trial: UInt64 = 5_000
            var expected: Double? = nil
            while true {
                let rate = try runner.run(benchCase, count: trial, expectedSeconds: expected).messagesPerSecond ?? 1
                if Double(trial) / rate >= 0.05 || trial >= 5_000_000 {
                    let count = UInt64(min(max(rate * seconds, 2_000), 200_000_000))
                    return (count, Double(count) / rate)
                }
                trial *= 10
                expected = Double(trial) / rate
            }
        }
        let sample = try runner.run(benchCase, count: 2_000)
        let perTrip = max(sample.p50 ?? 1_000, 50)
        let count = UInt64(min(max(seconds / 2 * 1e9 / perTrip, 2_000), 1_000_000))
        // The median hides the slow tail: twice it per trip.
        return (count, Double(count) * 2 * perTrip / 1e9)
    }

    /// Starts a fast reader on an empty channel, lets it sit, and reads its CPU time from /proc.
    private func idleReader(executable: String, prefix: String, size: Int) throws -> Report.IdleReader {
        let channel = BenchDaemon.channel(.fast, size)
        let ready = try Pipe2()
        let go = try Pipe2()
        let role = try SpawnedRole(
            executable, ["role", "fast", "reader", "\(size)", "1", "--prefix", prefix, "--channel", channel],
            descriptors: [RoleDescriptor.ready: ready.write, RoleDescriptor.go: go.read])
        var byte: UInt8 = 1
        _ = read(ready.read, &byte, 1)
        _ = write(go.write, &byte, 1)
        // Past the spin, it sleeps on its semaphore; measure from there.
        usleep(200_000)
        let start = Self.cpuTicks(role.pid)
        usleep(UInt32(idleSeconds * 1e6))
        let used = Self.cpuTicks(role.pid) - start
        let writer = try ChannelWriter(channel: channel, prefix: prefix)
        var message = Payload.template(size: size)
        message.withUnsafeMutableBytes { Payload.stamp(0, into: $0, size: size, textual: false) }
        try writer.send(message)
        _ = try role.finish()
        let seconds = Double(used) / Double(sysconf(Int32(_SC_CLK_TCK)))
        return .init(seconds: idleSeconds, cpuPercent: seconds / idleSeconds * 100)
    }

    /// Where the posix-mq peer's queues are shallower than shmd's ring, and why: said beside the
    /// table, since a shallower queue is a different measurement.
    static func queueNotes(sizes: [Int], measured queueCounts: [Int], transports: [Transport]) -> [String] {
        guard transports.contains(.posixMQ) else { return [] }
        return sizes.compactMap { size in
            let slots = BenchDaemon.slots(size: size)
            let depths = queueCounts.map { PeerRoles.capacity(.posixMQ, size: size, queues: $0) }
            guard PosixQueueLimits.unsupported(size: size) == nil, depths.contains(where: { $0 < slots }) else { return nil }
            let limit = PosixQueueLimits.byteLimit.map { "RLIMIT_MSGQUEUE \($0) bytes per user" } ?? "no RLIMIT_MSGQUEUE"
            let messages = PosixQueueLimits.read(PosixQueueLimits.messagesPath).map { "msg_max \($0)" } ?? "msg_max unknown"
            let shapes = zip(queueCounts, depths).map { $0 == 1 ? "\($1) (throughput)" : "\($1) per direction (round trip)" }
            return
                "posix-mq at \(Report.size(size)): queues of \(shapes.joined(separator: " and ")) messages, not shmd's \(slots) slots (\(limit), \(messages))"
        }
    }

    /// Whether `python -c "import MODULE"` succeeds.
    private static func imports(_ module: String, python: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    private static func cpuTicks(_ pid: pid_t) -> UInt64 {
        ProcessStat(pid: pid)?.cpuTicks ?? 0
    }

    private static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(model), Linux \(release)"
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
