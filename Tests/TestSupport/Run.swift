import Foundation

/// What a finished command returned and printed.
public struct Finished: CustomStringConvertible, Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs a command to completion (at most `seconds`, then it is killed and this throws), with
/// `input` on its stdin (else /dev/null).
public func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
    seconds: Double = 60
) throws -> Finished {
    let child = try ChildProcess(executable, arguments, environment: environment, stdin: input != nil)
    if let input { child.feed(input) }
    guard let status = child.waitForExit(seconds: seconds) else {
        child.terminate()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(seconds) s; stderr: \(child.stderr)")
    }
    return Finished(status: status, stdout: child.stdout, stderr: child.stderr)
}
