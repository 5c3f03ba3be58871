import Foundation
import Glibc
import ShmKit
import Testing

@testable import ShmDaemon

/// A config must fit under the open-file limit and vm.max_map_count before anything is created.
@Suite("shmd.toml: channels that exceed the open-file or mapping limits")
struct ResourceBudgetTests {
    static func rings(_ count: Int, seed: Bool = false) -> String {
        (0..<count).map { index in
            seed
                ? "[[channel]]\nname = \"s\(index)\"\nlayout = \"seed\"\nsegment = \"/b\(index)\"\nsem-empty = \"/e\(index)\"\nsem-full = \"/f\(index)\"\n"
                : "[[channel]]\nname = \"c\(index)\"\nslots = 1\nslot-size = 1\n"
        }.joined()
    }

    static func limits(soft: Int, hard: Int, maps: Int? = nil) -> ResourceBudget.Limits {
        ResourceBudget.Limits(openFiles: FileDescriptorLimit(soft: soft, hard: hard), mapCount: maps)
    }

    @Test("ring channels past the open-file limit are refused at the first that does not fit, naming the limit, the need and the fix")
    func tooManyRings() throws {
        let toml = Self.rings(200)
        #expect {
            _ = try ConfigLoader.parse(toml, file: "/etc/shmd/shmd.toml", limits: Self.limits(soft: 200, hard: 200))
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            // 64 for shmd and 1 per ring channel: the 137th (channel[136]) is the 201st descriptor.
            return error.key == "channel[136]" && error.line == 1 + 136 * 4
                && error.reason.hasPrefix("the 200 channels need 264 open files and shmd may open only 200 (RLIMIT_NOFILE, soft and hard limit 200): ")
                && error.reason.contains("channel 'c136' is the first that does not fit")
                && error.reason.hasSuffix(
                    "Configure fewer channels, or raise the hard limit: LimitNOFILE=264 in shmd.service (`systemctl edit shmd`), or `ulimit -Hn 264` as root in the shell that starts shmd"
                )
        }
    }

    @Test("exactly at the limit is accepted")
    func exactlyAtLimit() throws {
        let config = try ConfigLoader.parse(Self.rings(136), file: "x.toml", limits: Self.limits(soft: 200, hard: 200))
        #expect(config.channels.count == 136)
    }

    @Test("a seed channel counts two descriptors")
    func seedCountsTwo() throws {
        #expect {
            _ = try ConfigLoader.parse(Self.rings(50, seed: true), file: "x.toml", limits: Self.limits(soft: 150, hard: 150))
        } throws: { error in
            (error as? ConfigError)?.key == "channel[43]" && (error as? ConfigError)?.reason.contains("need 164 open files") == true
        }
    }

    @Test("a soft limit that could not be raised is named as such")
    func unraisedSoftLimit() throws {
        #expect {
            _ = try ConfigLoader.parse(Self.rings(100), file: "x.toml", limits: Self.limits(soft: 100, hard: 4096))
        } throws: { error in
            (error as? ConfigError)?.reason.contains("shmd may open only 100 (RLIMIT_NOFILE soft limit 100, which could not be raised to the hard limit 4096)")
                == true
        }
    }

    @Test("channels past vm.max_map_count are refused, naming it and the sysctl")
    func tooManyMappings() throws {
        #expect {
            _ = try ConfigLoader.parse(Self.rings(40), file: "x.toml", limits: Self.limits(soft: 10_000, hard: 10_000, maps: 1100))
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            // 1024 for shmd and 3 per ring channel: channel[25] brings 1102.
            return error.key == "channel[25]"
                && error.reason.hasPrefix("the 40 channels need 1144 memory mappings and the kernel allows 1100 per process (vm.max_map_count)")
                && error.reason.hasSuffix("`sysctl -w vm.max_map_count=1144` (and a file in /etc/sysctl.d/ to keep it)")
        }
    }

    @Test("this process's limits are read: RLIMIT_NOFILE as getrlimit says, vm.max_map_count from /proc")
    func currentLimits() throws {
        let limits = ResourceBudget.Limits.current()
        var raw = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &raw) == 0)
        #expect(limits.openFiles == FileDescriptorLimit(soft: Int(raw.rlim_cur), hard: Int(raw.rlim_max)))
        let text = try String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8)
        #expect(limits.mapCount == Int(text.filter(\.isNumber)))
    }

    @Test("what the budget counts: a segment keeps its descriptor open, a semaphore keeps none (glibc closes it once mapped)")
    func descriptorsHeld() throws {
        let base = "/rb\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let segment = try SharedMemorySegment.create(name: base, size: 4096, permissions: ObjectPermissions(mode: 0o600))
        defer { try? SharedMemorySegment.unlink(name: base) }
        let semaphore = try NamedSemaphore.create(name: base + ".sem", value: 0, permissions: ObjectPermissions(mode: 0o600))
        defer { try? NamedSemaphore.unlink(name: base + ".sem") }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)
        }
        #expect(open.filter { $0 == "/dev/shm" + base }.count == 1, "\(open)")
        #expect(!open.contains(NamedSemaphore.filePath(base + ".sem")), "\(open)")
        withExtendedLifetime((segment, semaphore)) {}
    }
}
