import Foundation

/// The files iceoryx2's Python binding leaves behind. The roles give iceoryx2 a prefix and a
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
    }
}
