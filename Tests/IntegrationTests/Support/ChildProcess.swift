import Foundation
import Glibc

/// A child process with its output collected in the background, so that a full pipe never
/// blocks it, and with waits that always have a deadline.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let stdinPipe = Pipe()
    private let readers = DispatchGroup()

    /// - Parameter stdout: where the child's stdout goes instead of being collected.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Bool = false,
         stdout: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "WATCHDOG_USEC")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = stdout ?? outPipe
        process.standardError = errPipe
        process.standardInput = stdin ? stdinPipe : FileHandle.nullDevice
        try process.run()
        if stdout == nil { collect(outPipe.fileHandleForReading) { self.out.append($0) } }
        collect(errPipe.fileHandleForReading) { self.err.append($0) }
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    /// What the child wrote on stdout, byte for byte (`stdout` repairs invalid UTF-8).
    var stdoutData: Data { lock.withLock { out } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    var stdoutLines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    /// Writes `data` to the child's stdin and keeps it open.
    func write(_ data: Data) {
        Self.writeSurvivingExit(stdinPipe.fileHandleForWriting, data)
    }

    /// Writes `data` to the child's stdin (from the calling thread) and closes it.
    func feed(_ data: Data) {
        let handle = stdinPipe.fileHandleForWriting
        Self.writeSurvivingExit(handle, data)
        try? handle.close()
    }

    /// Writes to a child that may exit before it read everything (a test of a failing child):
    /// with SIGPIPE blocked in this thread the write fails with EPIPE instead of the test process
    /// dying of SIGPIPE; a SIGPIPE left pending is taken before the mask is restored.
    private static func writeSurvivingExit(_ handle: FileHandle, _ data: Data) {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        try? handle.write(contentsOf: data)
        var now = timespec()
        while sigtimedwait(&pipeSignal, nil, &now) == SIGPIPE {}
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the child to exit, at most `seconds`.
    ///
    /// - Returns: its exit status (or 128 + signal), or `nil` if it still runs at the deadline.
    @discardableResult
    func waitForExit(seconds: Double) -> Int32? {
        guard waitUntil(seconds: seconds, { !self.process.isRunning }) else { return nil }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Kills the child if it still runs; for clean-up paths.
    func terminate() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func collect(_ handle: FileHandle, _ append: @escaping @Sendable (Data) -> Void) {
        readers.enter()
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { append(chunk) }
            }
            readers.leave()
        }
    }
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
///
/// - Returns: whether it held in time.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(2_000)
    }
    return true
}

/// Runs a command to completion (at most `seconds`) and returns status, stdout and stderr.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
         seconds: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(executable, arguments, environment: environment, stdin: input != nil)
    if let input { child.feed(input) }
    guard let status = child.waitForExit(seconds: seconds) else {
        child.terminate()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(seconds) s; stderr: \(child.stderr)")
    }
    return (status, child.stdout, child.stderr)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
