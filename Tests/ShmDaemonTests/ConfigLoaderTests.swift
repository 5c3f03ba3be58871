import Foundation
import ShmHost
import ShmKit
import Testing

@testable import ShmDaemon

@Suite("shmd.toml: loading and every kind of bad input")
struct ConfigLoaderTests {
    static let shipped = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/shmd.toml").path

    @Test("the shipped config parses into the demo ring and the seed channel")
    func shippedConfig() throws {
        let config = try ConfigLoader.load(path: Self.shipped)
        #expect(config.prefix == "shmd")
        #expect(config.sweepInterval == 1)
        #expect(
            config.channels == [
                ChannelSpec(
                    name: "demo", layout: .ring(slots: 64, slotSize: 1024, protocol: .fast),
                    permissions: ObjectPermissions(mode: 0o660)),
                ChannelSpec(
                    name: "seed", layout: .seed(segment: "/my_shm", semaphoreEmpty: "/sem_empty", semaphoreFull: "/sem_full"),
                    permissions: ObjectPermissions(mode: 0o660)),
            ])
    }

    @Test("defaults: ring layout, 64 slots of 1024 bytes, mode 0660, prefix shmd")
    func defaults() throws {
        let config = try ConfigLoader.parse("[[channel]]\nname = \"a\"\n", file: "x.toml")
        #expect(config.prefix == "shmd")
        #expect(config.channels == [ChannelSpec(name: "a", layout: .ring(slots: 64, slotSize: 1024, protocol: .fast))])
    }

    @Test("protocol and spin are per channel")
    func protocolAndSpin() throws {
        let config = try ConfigLoader.parse(
            """
            [[channel]]
            name = "a"
            protocol = "classic"
            [[channel]]
            name = "b"
            spin-us = 7.5
            """, file: "x.toml")
        #expect(config.channels[0].layout == .ring(slots: 64, slotSize: 1024, protocol: .classic))
        #expect(config.channels[1].layout == .ring(slots: 64, slotSize: 1024, protocol: .fast))
        #expect(config.channels[1].spinNanoseconds == 7_500)
    }

    @Test("stuck-after: 5 s by default, [daemon] sets it for every channel, a channel overrides it")
    func stuckAfter() throws {
        #expect(try ConfigLoader.parse("[[channel]]\nname = \"a\"\n", file: "x.toml").channels[0].stuckAfterSeconds == 5)
        let config = try ConfigLoader.parse(
            """
            [daemon]
            stuck-after = 2
            [[channel]]
            name = "a"
            [[channel]]
            name = "b"
            stuck-after = 0.5
            """, file: "x.toml")
        #expect(config.channels.map(\.stuckAfterSeconds) == [2, 0.5])
    }

    @Test("delivery: queue by default; fanout blocks for slow readers unless slow-reader = drop")
    func delivery() throws {
        let config = try ConfigLoader.parse(
            """
            [[channel]]
            name = "q"
            [[channel]]
            name = "b"
            delivery = "fanout"
            [[channel]]
            name = "d"
            delivery = "fanout"
            slow-reader = "drop"
            [[channel]]
            name = "e"
            delivery = "queue"
            """, file: "x.toml")
        #expect(config.channels.map(\.delivery) == [.queue, .fanout(.block), .fanout(.drop), .queue])
    }

    @Test("per-channel mode overrides the daemon's")
    func channelMode() throws {
        let config = try ConfigLoader.parse(
            """
            [daemon]
            mode = "0660"
            [[channel]]
            name = "a"
            mode = "0600"
            """, file: "x.toml")
        #expect(config.channels[0].permissions.mode == 0o600)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let what: String
        let toml: String
        let line: Int?
        let key: String
        let reason: String
        var testDescription: String { what }
    }

    static let bad: [Bad] = [
        Bad(what: "TOML syntax", toml: "[daemon]\nprefix = \"shmd\n", line: 2, key: "", reason: "TOML syntax"),
        Bad(what: "unknown key", toml: "[[channel]]\nname = \"a\"\nslotz = 3\n", line: 3, key: "channel[0].slotz", reason: "unknown key"),
        Bad(what: "unknown daemon key", toml: "[daemon]\nprefx = \"a\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.prefx", reason: "unknown key"),
        Bad(what: "wrong type", toml: "[[channel]]\nname = \"a\"\nslots = \"many\"\n", line: 3, key: "channel[0].slots", reason: "expected an integer"),
        Bad(what: "zero slots", toml: "[[channel]]\nname = \"a\"\nslots = 0\n", line: 3, key: "channel[0].slots", reason: "between 1 and 65536"),
        Bad(what: "zero slot size", toml: "[[channel]]\nname = \"a\"\nslot-size = 0\n", line: 3, key: "channel[0].slot-size", reason: "between 1 and"),
        Bad(
            what: "absurd slot size", toml: "[[channel]]\nname = \"a\"\nslot-size = 100000000000\n", line: 3, key: "channel[0].slot-size",
            reason: "between 1 and"),
        Bad(
            what: "absurd total", toml: "[[channel]]\nname = \"a\"\nslots = 65536\nslot-size = 67108864\n", line: 4, key: "channel[0].slot-size",
            reason: "more than the limit"),
        Bad(
            what: "duplicate names", toml: "[[channel]]\nname = \"a\"\n[[channel]]\nname = \"a\"\n", line: 4, key: "channel[1].name",
            reason: "duplicate channel name 'a'"),
        Bad(what: "name with /", toml: "[[channel]]\nname = \"a/b\"\n", line: 2, key: "channel[0].name", reason: "contains '/'"),
        Bad(
            what: "name over NAME_MAX", toml: "[[channel]]\nname = \"\(String(repeating: "n", count: 250))\"\n", line: 2, key: "channel[0].name",
            reason: "NAME_MAX"),
        Bad(what: "empty name", toml: "[[channel]]\nname = \"\"\n", line: 2, key: "channel[0].name", reason: "empty"),
        Bad(what: "missing name", toml: "[[channel]]\nslots = 2\n", line: 1, key: "channel[0]", reason: "missing key 'name'"),
        Bad(what: "no channels", toml: "[daemon]\nprefix = \"p\"\n", line: nil, key: "channel", reason: "no [[channel]]"),
        Bad(what: "world-writable mode", toml: "[daemon]\nmode = \"0666\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.mode", reason: "every user"),
        Bad(what: "mode not octal", toml: "[daemon]\nmode = \"rw\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.mode", reason: "not an octal mode"),
        Bad(
            what: "unknown group", toml: "[daemon]\ngroup = \"no-such-group-xyz\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.group",
            reason: "no group named"),
        Bad(what: "bad prefix", toml: "[daemon]\nprefix = \"a b\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.prefix", reason: "contains ' '"),
        Bad(what: "unknown layout", toml: "[[channel]]\nname = \"a\"\nlayout = \"tree\"\n", line: 3, key: "channel[0].layout", reason: "unknown layout 'tree'"),
        Bad(
            what: "unknown protocol", toml: "[[channel]]\nname = \"a\"\nprotocol = \"telepathy\"\n", line: 3, key: "channel[0].protocol",
            reason: "unknown protocol"),
        Bad(
            what: "seed without its names", toml: "[[channel]]\nname = \"s\"\nlayout = \"seed\"\nsegment = \"/x\"\n", line: 1, key: "channel[0]",
            reason: "missing key 'sem-empty'"),
        Bad(
            what: "seed name without /", toml: "[[channel]]\nname = \"s\"\nlayout = \"seed\"\nsegment = \"x\"\nsem-empty = \"/e\"\nsem-full = \"/f\"\n",
            line: 4, key: "channel[0].segment", reason: "must start with '/'"),
        Bad(
            what: "seed with slots", toml: "[[channel]]\nname = \"s\"\nlayout = \"seed\"\nslots = 4\n", line: 4, key: "channel[0].slots",
            reason: "one buffer of 1024 bytes"),
        Bad(
            what: "ring with seed names", toml: "[[channel]]\nname = \"r\"\nsegment = \"/x\"\n", line: 3, key: "channel[0].segment",
            reason: "only a channel with layout = \"seed\""),
        Bad(
            what: "two channels on one object",
            toml:
                "[[channel]]\nname = \"s\"\nlayout = \"seed\"\nsegment = \"/x\"\nsem-empty = \"/e\"\nsem-full = \"/f\"\n[[channel]]\nname = \"t\"\nlayout = \"seed\"\nsegment = \"/x\"\nsem-empty = \"/e2\"\nsem-full = \"/f2\"\n",
            line: 7, key: "channel[1]", reason: "object /x is used by channel 's' too"),
        Bad(
            what: "stuck-after too short", toml: "[[channel]]\nname = \"a\"\nstuck-after = 0.05\n", line: 3, key: "channel[0].stuck-after",
            reason: "must be between 0.1 and 86400 seconds, not 0.05"),
        Bad(
            what: "stuck-after not a number", toml: "[daemon]\nstuck-after = \"5s\"\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.stuck-after",
            reason: "wrong type: expected a number"),
        Bad(what: "spin out of range", toml: "[[channel]]\nname = \"a\"\nspin-us = 20000\n", line: 3, key: "channel[0].spin-us", reason: "between 0 and 10000"),
        Bad(
            what: "spin with classic", toml: "[[channel]]\nname = \"a\"\nprotocol = \"classic\"\nspin-us = 5\n", line: 4, key: "channel[0].spin-us",
            reason: "only the fast protocol spins"),
        Bad(
            what: "unknown delivery", toml: "[[channel]]\nname = \"a\"\ndelivery = \"broadcast\"\n", line: 3, key: "channel[0].delivery",
            reason: "unknown delivery 'broadcast' (use \"queue\" or \"fanout\")"),
        Bad(
            what: "fan-out with classic", toml: "[[channel]]\nname = \"a\"\nprotocol = \"classic\"\ndelivery = \"fanout\"\n", line: 4,
            key: "channel[0].delivery", reason: "fan-out needs the fast protocol"),
        Bad(
            what: "slow-reader on a queue", toml: "[[channel]]\nname = \"a\"\nslow-reader = \"drop\"\n", line: 3, key: "channel[0].slow-reader",
            reason: "only a fan-out channel has slow readers: add delivery = \"fanout\""),
        Bad(
            what: "unknown slow-reader policy", toml: "[[channel]]\nname = \"a\"\ndelivery = \"fanout\"\nslow-reader = \"wait\"\n", line: 4,
            key: "channel[0].slow-reader", reason: "unknown slow-reader policy 'wait' (use \"block\" or \"drop\")"),
        Bad(
            what: "seed fan-out",
            toml: "[[channel]]\nname = \"s\"\nlayout = \"seed\"\nsegment = \"/x\"\nsem-empty = \"/e\"\nsem-full = \"/f\"\ndelivery = \"fanout\"\n",
            line: 7, key: "channel[0].delivery", reason: "only a ring channel can fan out"),
        Bad(
            what: "sweep interval out of range", toml: "[daemon]\nsweep-interval = 0.0\n[[channel]]\nname = \"a\"\n", line: 2, key: "daemon.sweep-interval",
            reason: "between 0.01 and 3600"),
    ]

    @Test("each bad input names file, line, key and reason", arguments: bad)
    func badInput(_ bad: Bad) {
        do {
            _ = try ConfigLoader.parse(bad.toml, file: "/etc/shmd/bad.toml")
            Issue.record("accepted: \(bad.what)")
        } catch let error as ConfigError {
            #expect(error.file == "/etc/shmd/bad.toml")
            #expect(error.line == bad.line, "\(error)")
            #expect(error.key == bad.key, "\(error)")
            #expect(error.reason.contains(bad.reason), "\(error)")
            #expect(error.description.hasPrefix("/etc/shmd/bad.toml" + (bad.line.map { ":\($0)" } ?? "")))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a missing file is a config error naming it")
    func missingFile() {
        #expect {
            _ = try ConfigLoader.load(path: "/nonexistent/shmd.toml")
        } throws: { error in
            (error as? ConfigError)?.description == "/nonexistent/shmd.toml: cannot read the file: no such file"
        }
    }
}
