import Foundation
import Glibc

/// A child process with its output collected in the background, so that a full pipe never
/// blocks it, and with waits that always have a deadline.
///
/// `@unchecked Sendable`: the collected output (`out`, `err`), its only mutable state, is read
/// and appended only with `lock` held; every other stored property is a constant of a Sendable
/// type (Process, Pipe, DispatchGroup, NSLock).
public final class ChildProcess: @unchecked Sendable {
    /// What the child inherits of the systemd variables in this process's environment
    /// (NOTIFY_SOCKET, JOURNAL_STREAM, WATCHDOG_USEC): a test run inside a systemd unit must not
    /// hand them to a shmd it starts, which would then notify and log to the unit's systemd.
    public enum ServiceEnvironment: Sendable {
        /// Removed, unless `environment` sets them again (a test's own NOTIFY_SOCKET).
        case removed
        /// Passed on as they are (a command that boots or talks to a systemd of its own).
        case inherited
    }

    /// The variables `ServiceEnvironment.removed` removes.
    public static let serviceVariables = ["NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC"]

    public let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let stdinPipe = Pipe()
    private let readers = DispatchGroup()

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameter environment: variables set on top of this process's environment.
    /// - Parameter serviceEnvironment: whether the systemd variables are removed first.
    /// - Parameter stdin: a pipe the test writes with `write` and `feed`; otherwise /dev/null.
    /// - Parameter stdout: where the child's stdout goes instead of being collected.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        serviceEnvironment: ServiceEnvironment = .removed, stdin: Bool = false, stdout: FileHandle? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        if serviceEnvironment == .removed {
            for name in Self.serviceVariables { env.removeValue(forKey: name) }
        }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = stdout ?? outPipe
        process.standardError = errPipe
        process.standardInput = stdin ? stdinPipe : FileHandle.nullDevice
        try process.run()
        if stdout == nil { collect(outPipe.fileHandleForReading) { self.out.append($0) } }
        collect(errPipe.fileHandleForReading) { self.err.append($0) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    /// What the child wrote on stdout, byte for byte (`stdout` repairs invalid UTF-8).
    public var stdoutData: Data { lock.withLock { out } }
    public var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    public var stdoutLines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    /// Writes `data` to the child's stdin and keeps it open.
    public func write(_ data: Data) {
        Self.writeSurvivingExit(stdinPipe.fileHandleForWriting, data)
    }

    /// Writes `data` to the child's stdin (from the calling thread) and closes it.
    public func feed(_ data: Data) {
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

    public func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the child to exit, at most `seconds`.
    ///
    /// - Returns: its exit status (or 128 + signal), or `nil` if it still runs at the deadline.
    @discardableResult
    public func waitForExit(seconds: Double) -> Int32? {
        guard waitUntil(seconds: seconds, { !self.process.isRunning }) else { return nil }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Kills the child if it still runs, and waits for it (at most 5 s); for clean-up paths.
    public func terminate() {
        if process.isRunning {
            kill(pid, SIGKILL)
            _ = waitUntil(seconds: 5) { !process.isRunning }
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
