import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What one measurement is: a transport, a message size, throughput or round trip, and whose
/// roles run it (this build's, or with `--compare` the other's).
struct BenchCase: Hashable, Codable {
    enum Mode: String, Codable {
        case throughput
        case roundTrip = "round-trip"
        /// One-way at `--pace` messages a second, evenly spaced: what a light load costs in CPU.
        case paced
    }
    let transport: Transport
    let size: Int
    let mode: Mode
    var binary: Binary = .a
    /// Readers of a fan-out throughput case, each of which receives every message; 1 otherwise.
    var readers = 1

    /// The same measurement with this build's roles.
    var onA: BenchCase { BenchCase(transport: transport, size: size, mode: mode, readers: readers) }

    var label: String {
        let base = transport.fansOut ? "\(transport.label) 1 → \(readers)" : transport.label
        return binary == .a ? base : base + " (B)"
    }
}

/// The outcome of one run of a case.
struct Sample: Codable {
    var messagesPerSecond: Double?
    var p50: Double?
    var p99: Double?
    var p999: Double?
    var count: UInt64
    var errors: UInt64
    /// Why the measurement gave no result (its deadline passed, a role failed); nil when it did.
    var failure: String? = nil
    /// CPU time, user and system, per message (per trip for a round trip) of the writer or ping
    /// role, and of the reader or pong roles together, in ns; from the start barrier to exit.
    var writerCPU: Double? = nil
    var readerCPU: Double? = nil
    /// The CPU time per message of all the processes, in ns: the two above together, or what the
    /// C ring reports of its two children.
    var cpu: Double? = nil
}

/// Starts the two roles of a case as processes, pinned as asked, releases them together and
/// collects what they measured.
struct MeasurementRunner {
    let executable: String
    /// The `--compare` build's shm-bench, whose roles run the `.b` cases.
    let compared: String?
    let prefix: String
    /// CPU of the writer/ping role and of the reader/pong role; -1 leaves them unpinned.
    let cpus: (Int32, Int32)

    /// The reference C ring's program, for `.cRing`.
    let spsc: String?
    let sameCore: Bool

    /// The C role program (`--c-role`), for `.c`.
    let cRole: String?
    /// The iceoryx role program (`--iceoryx-role`), for `.iceoryx`.
    var iceoryxRole: String? = nil
    /// Messages per second of the `.paced` cases (`--pace`).
    var pace: UInt64 = 0
    /// The interpreter and the Python role script (`--python-roles`), for the Python transports.
    let python: [String]?
    /// The peers' role programs (`--peer-roles`), for `Transport.peers`.
    var peerRoles: PeerRoles? = nil
    /// The roles' leftovers of this run, removed after roles had to be killed.
    var sweep: () -> Void = {}

    /// The options each role is given, in the order of their values in `run`; a `--compare`
    /// build must take every one (`ComparedBuild` checks its `role --help`).
    static let roleOptions = ["--prefix", "--channel", "--reply-channel", "--cpu", "--warmup"]

    /// Seconds a measurement may take beyond 20 times what it is expected to last (`--deadline`).
    var deadlineSlack = 120.0

    /// How long a measurement of `count` messages may take before its roles are killed: 20 times
    /// what it is expected to last (`expectedSeconds`, from calibration; else 100 µs a message,
    /// slower than any transport measured), and `deadlineSlack` more. The slack is generous
    /// because a machine whose cores are shared slows a ping-pong or a pipe to one scheduler time
    /// slice per message (milliseconds each), which is slow but not a hang.
    func measurementDeadline(count: UInt64, expectedSeconds: Double?) -> Double {
        deadlineSlack + 20 * (expectedSeconds ?? Double(count) * 100e-6)
    }

    /// Measures `benchCase` once; throws, naming it, when a role fails or the deadline passes.
    func run(_ benchCase: BenchCase, count: UInt64, expectedSeconds: Double? = nil) throws -> Sample {
        if benchCase.transport.roles == .baseline { return try runBaseline(benchCase, count: count) }
        let ready = try Pipe2()
        let go = try Pipe2()
        var data: [AnyObject] = []
        var first: [Int32: Int32] = [RoleDescriptor.ready: ready.write, RoleDescriptor.go: go.read]
        var second = first
        switch (benchCase.transport, benchCase.mode) {
        case (.pipe, .throughput), (.pipe, .paced):
            let pipe = try Pipe2()
            data.append(pipe)
            first[RoleDescriptor.output] = pipe.write
            second[RoleDescriptor.input] = pipe.read
        case (.pipe, .roundTrip):
            let there = try Pipe2()
            let back = try Pipe2()
            data += [there, back]
            (first[RoleDescriptor.output], first[RoleDescriptor.input]) = (there.write, back.read)
            (second[RoleDescriptor.output], second[RoleDescriptor.input]) = (back.write, there.read)
        case (.socketpair, _):
            let pair = try SocketPair()
            data.append(pair)
            (first[RoleDescriptor.output], first[RoleDescriptor.input]) = (pair.first, pair.first)
            (second[RoleDescriptor.output], second[RoleDescriptor.input]) = (pair.second, pair.second)
        default:
            break
        }
        let sides = benchCase.mode == .roundTrip ? ("ping", "pong") : ("writer", "reader")
        let warmup = benchCase.mode == .roundTrip ? min(1_000, count / 10) : 0
        func arguments(_ side: String, cpu: Int32) -> [String] {
            let values = [
                prefix, BenchDaemon.channel(benchCase.transport, benchCase.size),
                BenchDaemon.replyChannel(benchCase.transport, benchCase.size), "\(cpu)", "\(warmup)",
            ]
            return ["role", benchCase.transport.rawValue, side, "\(benchCase.size)", "\(count)"]
                + zip(Self.roleOptions, values).flatMap { [$0, $1] }
        }
        // iceoryx's subscriber queue and the peers' queues are as deep as shmd's ring of that size.
        let queues = benchCase.mode == .roundTrip ? 2 : 1
        let extra =
            benchCase.transport.roles == .iceoryx || benchCase.transport.roles == .peer
            ? ["--capacity", "\(PeerRoles.capacity(benchCase.transport, size: benchCase.size, queues: queues))"] : []
        let paced = benchCase.mode == .paced ? ["--pace", "\(pace)"] : []
        let program = try roleCommand(benchCase)
        let a: SpawnedRole
        var others: [SpawnedRole] = []
        if benchCase.transport.forksItsPeer {
            // One process, which forks the other side: both say ready, both take a go byte.
            a = try SpawnedRole(program[0], Array(program.dropFirst()) + arguments(sides.0, cpu: cpus.0) + ["--peer-cpu", "\(cpus.1)"], descriptors: first)
        } else {
            a = try SpawnedRole(program[0], Array(program.dropFirst()) + arguments(sides.0, cpu: cpus.0) + extra + paced, descriptors: first)
            // A fan-out's readers share the reader's core: the writer keeps one to itself.
            for _ in 0..<max(benchCase.readers, 1) {
                others.append(try SpawnedRole(program[0], Array(program.dropFirst()) + arguments(sides.1, cpu: cpus.1) + extra, descriptors: second))
            }
        }
        let roles = [a] + others
        // All attached: release them at once.
        let expected = benchCase.transport.forksItsPeer ? 2 : roles.count
        var gathered = 0
        var poller = pollfd(fd: ready.read, events: Int16(POLLIN), revents: 0)
        let deadline = now() + 30_000_000_000
        while gathered < expected {
            // A role that failed before it attached (a missing library, a bad channel) ends the
            // wait at once, with what it said.
            let failed = roles.contains { $0.hasExited() }
            guard !failed, now() < deadline else {
                for role in roles { kill(role.pid, SIGKILL) }
                let why = failed ? "a role exited before it attached" : "the roles did not attach within 30 s"
                let said = roles.map { (try? $0.finish()) ?? "" }.joined(separator: " ")
                sweep()
                throw BenchError("\(Self.name(benchCase)): \(why): \(said)")
            }
            guard poll(&poller, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            if read(ready.read, &byte, 1) == 1 { gathered += 1 }
        }
        // Each waits at the barrier now: what it used to start and attach is not counted.
        for role in roles { role.markStart() }
        var release = [UInt8](repeating: 1, count: expected)
        _ = write(go.write, &release, expected)
        let seconds = measurementDeadline(count: count, expectedSeconds: expectedSeconds)
        let end = now() + UInt64(seconds * 1e9)
        let late = roles.filter { !$0.collect(until: end) }
        if !late.isEmpty {
            for role in roles { role.kill() }
            sweep()
            throw BenchError(
                "\(Self.name(benchCase)): no result within its deadline of \(Int(seconds)) s (\(count) messages): killed its roles "
                    + "(still running: \(late.map { "\($0 === a ? sides.0 : sides.1) pid \($0.pid)" }.joined(separator: ", "))); a role that stops or deadlocks ends here, not in a hang"
            )
        }
        let outputA: String
        let outputs: [String]
        do {
            outputA = try a.finish()
            outputs = try others.map { try $0.finish() }
        } catch {
            for role in roles { role.kill() }
            sweep()
            throw BenchError("\(Self.name(benchCase)): \(error)")
        }
        let outputB = outputs.joined(separator: " ")
        withExtendedLifetime(data) {}
        let values = Self.parse(outputA + " " + outputB)
        // A role that forks its peer runs the other side in a process not counted here.
        let counted = benchCase.transport.forksItsPeer ? nil : roles.map(\.cpuSinceStart)
        let trips = Double(count + (benchCase.mode == .roundTrip ? warmup : 0))
        let writerCPU = counted?.first.flatMap { $0 }.map { Double($0) / trips }
        let readerCPU = counted.flatMap { all in all.dropFirst().contains(nil) ? nil : Double(all.dropFirst().reduce(0) { $0 + $1! }) / trips }
        if benchCase.mode != .roundTrip {
            // Each reader's rate: every reader gets all `count`, and the run lasts until the last
            // one has them.
            let ends = outputs.compactMap { Self.parse($0)["t1"] } + (benchCase.transport.forksItsPeer ? [values["t1"]].compactMap { $0 } : [])
            let errors = ([outputA] + outputs).reduce(0) { $0 + (Self.parse($1)["errors"] ?? 0) }
            guard let t0 = values["t0"], let t1 = ends.max(), t1 > t0, ends.count == expected - 1 else {
                throw BenchError("\(Self.name(benchCase)): no timing from roles: \(outputA) \(outputB)")
            }
            return Sample(
                messagesPerSecond: Double(count) / (Double(t1 - t0) / 1e9), count: count, errors: errors, writerCPU: writerCPU, readerCPU: readerCPU,
                cpu: writerCPU.flatMap { w in readerCPU.map { w + $0 } })
        }
        guard let p50 = values["p50"] else { throw BenchError("\(Self.name(benchCase)): no latency from ping: \(outputA)") }
        return Sample(
            p50: Double(p50), p99: values["p99"].map { Double($0) }, p999: values["p999"].map { Double($0) },
            count: count, errors: UInt64(values["errors"] ?? 0), writerCPU: writerCPU, readerCPU: readerCPU,
            cpu: writerCPU.flatMap { w in readerCPU.map { w + $0 } })
    }

    /// The program and its first arguments for the roles of `benchCase`; the role's own
    /// arguments (`role TRANSPORT SIDE ...`) follow.
    private func roleCommand(_ benchCase: BenchCase) throws -> [String] {
        switch (benchCase.transport.roles, benchCase.binary) {
        case (.swift, .a): return [executable]
        case (.swift, .b):
            guard let compared else { throw BenchError("a B case without a --compare build") }
            return [compared]
        case (.c, _):
            guard let cRole else { throw BenchError("the c transport without --c-role") }
            return [cRole]
        case (.python, _):
            guard let python else { throw BenchError("a Python transport without --python-roles") }
            return python
        case (.iceoryx, _):
            guard let iceoryxRole else { throw BenchError("the iceoryx transport without --iceoryx-role") }
            return [iceoryxRole]
        case (.peer, _):
            guard let peerRoles else { throw BenchError("the \(benchCase.transport.rawValue) transport without --peer-roles") }
            return [peerRoles.path(benchCase.transport)]
        case (.baseline, _):
            throw BenchError("the baseline runs on its own")
        }
    }

    /// The case as the table names it: label, size and mode.
    static func name(_ benchCase: BenchCase) -> String {
        "\(benchCase.label) \(Report.size(benchCase.size)) \(benchCase.mode.rawValue)"
    }

    /// spsc.c prints `RESULT ... msgs_s=N ...` or `... med_ns=N p99_ns=N ...`.
    private func runBaseline(_ benchCase: BenchCase, count: UInt64) throws -> Sample {
        guard let spsc else { throw BenchError("no --spsc program") }
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: spsc)
        process.arguments =
            (benchCase.mode == .roundTrip ? ["-l"] : [])
            + [
                "-N", "\(benchCase.transport == .cRingSmall ? 16 : BenchDaemon.slots(size: benchCase.size))", "-a", sameCore ? "s" : "x", "\(benchCase.size)",
                "\(count)",
            ]
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("\(spsc) failed: \(text)") }
        var values: [String: Double] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        // Its two children's rusage, in seconds to the millisecond.
        let cpu = values["usr"].flatMap { user in values["sys"].map { (user + $0) * 1e9 / Double(count) } }
        if benchCase.mode == .throughput {
            guard let rate = values["msgs_s"] else { throw BenchError("no msgs_s from \(spsc): \(text)") }
            return Sample(messagesPerSecond: rate, count: count, errors: UInt64(values["errors"] ?? 0), cpu: cpu)
        }
        guard let p50 = values["med_ns"] else { throw BenchError("no med_ns from \(spsc): \(text)") }
        return Sample(p50: p50, p99: values["p99_ns"], count: count, errors: UInt64(values["errors"] ?? 0), cpu: cpu)
    }

    private static func parse(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let value = UInt64(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }
}
