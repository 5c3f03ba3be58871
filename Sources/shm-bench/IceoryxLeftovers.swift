import Foundation

/// The files iceoryx's roles leave behind when they are killed: iceoryx 2.0.3's C roles a socket
/// per runtime in /tmp, named PREFIX-SIDE-PID (iceoryx_role.c); iceoryx2's Python binding those
/// below. The roles give iceoryx2 a prefix and a
/// root folder of this run's own (python/bench/roles.py: `PREFIXiox2_` in /dev/shm and
/// /tmp/PREFIX-iceoryx2), because iceoryx2 keeps a global management segment after its last node
/// has gone; removing only those never touches another program's iceoryx2.
enum IceoryxLeftovers {
    static func remove(prefix: String) {
        let files = FileManager.default
        let own = "\(prefix)iox2_"
        for name in (try? files.contentsOfDirectory(atPath: "/dev/shm")) ?? [] where name.hasPrefix(own) {
            try? files.removeItem(atPath: "/dev/shm/" + name)
        }
        try? files.removeItem(atPath: "/tmp/\(prefix)-iceoryx2")
        removeRoleSockets(prefix: prefix)
    }

    /// The runtime sockets of iceoryx_role.c's processes of this run, which RouDi unlinks only for
    /// runtimes that shut down.
    static func removeRoleSockets(prefix: String) {
        let sides = ["writer", "reader", "ping", "pong"].map { "\(prefix)-\($0)-" }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [] where sides.contains(where: { name.hasPrefix($0) }) {
            unlink("/tmp/" + name)
        }
    }
}
