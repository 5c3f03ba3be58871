import Foundation
import Glibc
import TestSupport

/// A host of its own for a bridge test: a network namespace (only `lo`, plus what `link` adds)
/// and a mount namespace with a fresh tmpfs on /dev/shm, held open by a sleeping process.
/// Commands run through `launcher` see only them. The namespaces have no name: they exist as long
/// as their holder, so a test that fails, or is killed, leaves no namespace, veth or shared-memory
/// object behind (a veth goes with its namespace, and its peer with it).
final class NetworkHost: Sendable {
    let name: String
    private let holder: ChildProcess

    /// - Parameter name: for messages (`host A`).
    init(_ name: String, shmSize: String = "512m") throws {
        self.name = name
        holder = try ChildProcess(
            "/usr/bin/unshare",
            [
                "--net", "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount -t tmpfs -o mode=1777,size=\(shmSize) \(name) /dev/shm && ip link set lo up && echo ready && exec sleep 3600",
            ])
        guard waitUntil(seconds: 10, { holder.stdout.contains("ready") }) else {
            holder.terminate()
            throw TestFailure("\(name): no private network and /dev/shm (unshare --net --mount needs root): \(holder.stderr)")
        }
    }

    deinit { holder.terminate() }

    /// The holder's pid: `nsenter -t PID` reaches the namespaces.
    var pid: Int32 { holder.pid }

    /// Runs a command inside both namespaces.
    var launcher: [String] { ["/usr/bin/nsenter", "-t", "\(holder.pid)", "-m", "-n", "--"] }

    /// The files in this host's /dev/shm, as this process sees them.
    var shmFiles: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(holder.pid)/root/dev/shm")) ?? []).sorted() }

    /// Runs `script` with /bin/sh on this host, at most 30 s.
    @discardableResult
    func shell(_ script: String) throws -> Finished {
        let command = launcher + ["/bin/sh", "-c", script]
        let result = try run(command[0], Array(command.dropFirst()), seconds: 30)
        guard result.status == 0 else { throw TestFailure("\(name): `\(script)` failed: \(result)") }
        return result
    }

    /// Joins this host and `other` with a veth pair, this one `10.77.SUBNET.1/30` and the other
    /// `.2`, and returns their addresses. The pair is made in this process's namespace under
    /// names unique to this test process, then each end is moved into its host at once.
    static func link(_ one: NetworkHost, _ other: NetworkHost, subnet: Int) throws -> (String, String) {
        let left = "sb\(getpid())a\(subnet)"
        let right = "sb\(getpid())b\(subnet)"
        let made = try run("/usr/sbin/ip", ["link", "add", left, "type", "veth", "peer", "name", right])
        guard made.status == 0 else { throw TestFailure("ip link add \(left) type veth peer name \(right): \(made)") }
        for (end, host) in [(left, one), (right, other)] {
            let moved = try run("/usr/sbin/ip", ["link", "set", end, "netns", "\(host.pid)"])
            guard moved.status == 0 else {
                _ = try? run("/usr/sbin/ip", ["link", "del", left])
                throw TestFailure("ip link set \(end) netns \(host.pid): \(moved)")
            }
        }
        let addresses = ("10.77.\(subnet).1", "10.77.\(subnet).2")
        try one.shell("ip addr add \(addresses.0)/30 dev \(left) && ip link set \(left) up")
        try other.shell("ip addr add \(addresses.1)/30 dev \(right) && ip link set \(right) up")
        return addresses
    }
}
