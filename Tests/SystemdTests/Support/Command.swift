import Foundation
import Glibc

/// A process on the host with its output collected in the background (a full pipe never blocks
/// it) and waits that always have a deadline.
final class Command: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let readers = DispatchGroup()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        collect(outPipe.fileHandleForReading) { self.out.append($0) }
        collect(errPipe.fileHandleForReading) { self.err.append($0) }
        if let input {
            try? inPipe.fileHandleForWriting.write(contentsOf: input)
            try? inPipe.fileHandleForWriting.close()
        }
    }

    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stdoutData: Data { lock.withLock { out } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }

    /// The exit status (128 + signal when killed), or `nil` if it still runs after `seconds`.
    @discardableResult
    func wait(seconds: Double) -> Int32? {
        guard waitUntil(seconds: seconds, { !self.process.isRunning }) else { return nil }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 5)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Kills the host-side process if it still runs (clean-up paths).
    func terminate() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
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

/// What a finished command printed and returned.
struct Finished: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Polls `condition` until it holds or `seconds` pass; whether it held in time.
func waitUntil(seconds: Double, interval: useconds_t = 20_000, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(interval)
    }
    return true
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
