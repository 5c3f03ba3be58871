import CShim
import Foundation
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with chosen descriptors mapped to fixed numbers
/// (the pipe or socket a role talks through, the start barrier), and its stdout captured.
final class SpawnedRole {
    let pid: pid_t
    private var output: Int32
    private var printed: [UInt8] = []
    /// waitpid's status, once the child has been reaped.
    private var status: Int32?
    /// The CPU time the child had used when `markStart()` read it, in ns.
    private var cpuAtStart: UInt64?
    /// The CPU time it used in all, user and system, from its reaping (wait4's rusage).
    private var cpuAtExit: UInt64?

    /// - Parameter descriptors: child descriptor number → parent descriptor to put there.
    init(_ executable: String, _ arguments: [String], descriptors: [Int32: Int32]) throws {
        var outputPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], STDOUT_FILENO)
        for (child, parent) in descriptors.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, parent, child)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(outputPipe[1])
        guard result == 0 else {
            close(outputPipe[0])
            throw BenchError("posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        output = outputPipe[0]
    }

    /// Whether the child has exited (reaping it if so), without waiting.
    func hasExited() -> Bool {
        if status != nil { return true }
        var value: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &value, WNOHANG, &usage) == pid else { return false }
        reaped(value, usage)
        return true
    }

    /// Reads the CPU time the child has used so far, to be taken off its total: called while it
    /// waits at the start barrier, so that what it costs to start and attach is not counted.
    func markStart() {
        cpuAtStart = ProcessCPU.nanoseconds(of: pid)
    }

    /// The CPU time, user and system, the child used from `markStart()` to its exit; nil until it
    /// has been reaped, or without a mark.
    var cpuSinceStart: UInt64? {
        guard let cpuAtStart, let cpuAtExit else { return nil }
        return cpuAtExit > cpuAtStart ? cpuAtExit - cpuAtStart : 0
    }

    private func reaped(_ value: Int32, _ usage: rusage) {
        status = value
        cpuAtExit = ProcessCPU.nanoseconds(usage)
    }

    /// Reads what the child prints until it closes its output (it has exited) or `deadline`
    /// (CLOCK_MONOTONIC ns) passes; whether it closed it.
    func collect(until deadline: UInt64) -> Bool {
        guard output >= 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline > now() ? deadline - now() : 0
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left / 1_000_000 + 1, 1_000)))
            if ready < 0 && errno != EINTR { return true }
            if ready <= 0 {
                if now() >= deadline { return false }
                continue
            }
            let count =
                (try? chunk.withUnsafeMutableBytes { buffer in
                    try Syscall.value(call: "read", object: "role \(pid)'s output") { read(output, buffer.baseAddress, buffer.count) }
                }) ?? 0
            if count == 0 {
                close(output)
                output = -1
                return true
            }
            printed += chunk[..<count]
        }
    }

    /// Ends a child that missed its deadline: SIGKILL (a stopped one dies of it too), then
    /// reaps it.
    func kill() {
        if !hasExited() {
            Glibc.kill(pid, SIGKILL)
            var value: Int32 = 0
            var usage = rusage()
            _ = wait4(pid, &value, 0, &usage)
            reaped(value, usage)
        }
        if output >= 0 {
            close(output)
            output = -1
        }
    }

    /// Waits for the child and returns what it printed; throws if it failed.
    func finish() throws -> String {
        _ = collect(until: .max)
        if self.status == nil {
            var value: Int32 = 0
            var usage = rusage()
            _ = try Syscall.value(call: "wait4", object: "role \(pid)") { wait4(pid, &value, 0, &usage) }
            reaped(value, usage)
        }
        let status = self.status ?? 0
        let text = String(decoding: printed, as: UTF8.self)
        guard status == 0 else { throw BenchError("role \(pid) failed (status \(status)): \(text)") }
        return text
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A pipe whose ends are closed when the value goes away.
final class Pipe2 {
    let read: Int32
    let write: Int32
    init() throws {
        var ends: [Int32] = [0, 0]
        guard cshim_pipe_cloexec(&ends) == 0 else { throw BenchError("pipe2: \(String(cString: strerror(errno)))") }
        (read, write) = (ends[0], ends[1])
    }
    deinit {
        close(read)
        close(write)
    }
}

/// A connected pair of Unix stream sockets.
final class SocketPair {
    let first: Int32
    let second: Int32
    init() throws {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw BenchError("socketpair: \(String(cString: strerror(errno)))")
        }
        (first, second) = (ends[0], ends[1])
    }
    deinit {
        close(first)
        close(second)
    }
}
