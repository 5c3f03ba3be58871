import Testing

@testable import ShmDaemon

/// `mode`, `group` and `allow-world`: every class of user either attaches (rw) or gets nothing,
/// and nothing reaches every local user unless the config says so.
@Suite("shmd.toml: modes, groups and allow-world")
struct ModeRulesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let what: String
        let toml: String
        let key: String
        let reason: [String]
        var testDescription: String { what }
    }

    static let refused: [Case] = [
        Case(
            what: "group- and world-readable daemon mode", toml: "[daemon]\nmode = \"0664\"\n[[channel]]\nname = \"a\"\n",
            key: "daemon.mode",
            reason: [
                "0664 gives every user on this host read access", "anyone could read every message",
                "\"0660\" and group", "set allow-world = true",
            ]),
        Case(
            what: "world-readable channel mode", toml: "[[channel]]\nname = \"a\"\nmode = \"0664\"\n",
            key: "channel[0].mode", reason: ["0664 gives every user on this host read access"]),
        Case(
            what: "world-executable mode", toml: "[[channel]]\nname = \"a\"\nmode = \"0661\"\n",
            key: "channel[0].mode", reason: ["0661 gives every user on this host execute access"]),
        Case(
            what: "world-writable even with allow-world", toml: "[daemon]\nallow-world = true\nmode = \"0666\"\n[[channel]]\nname = \"a\"\n",
            key: "daemon.mode", reason: ["lets every user write the channel"]),
        Case(
            what: "daemon allow-world does not allow another table's world write",
            toml: "[daemon]\nallow-world = true\n[[channel]]\nname = \"a\"\nmode = \"0662\"\n",
            key: "channel[0].mode", reason: ["lets every user write the channel"]),
        Case(
            what: "one channel's allow-world does not cover another",
            toml: "[[channel]]\nname = \"a\"\nmode = \"0664\"\nallow-world = true\n[[channel]]\nname = \"b\"\nmode = \"0664\"\n",
            key: "channel[1].mode", reason: ["0664 gives every user on this host read access"]),
        Case(
            what: "a channel's allow-world = false refuses the daemon's world mode",
            toml: "[daemon]\nallow-world = true\nmode = \"0664\"\n[[channel]]\nname = \"a\"\nallow-world = false\n",
            key: "channel[0].allow-world", reason: ["the mode from [daemon], 0664 gives every user on this host read access"]),
        Case(
            what: "group read without write", toml: "[daemon]\nmode = \"0640\"\n[[channel]]\nname = \"a\"\n",
            key: "daemon.mode",
            reason: [
                "0640 gives the group read but not write access", "could not attach (permission denied, exit 77)",
                "Use \"0660\" to let the group in, or \"0600\" for shmd's user only",
            ]),
        Case(
            what: "group write without read", toml: "[[channel]]\nname = \"a\"\nmode = \"0620\"\n",
            key: "channel[0].mode", reason: ["0620 gives the group write but not read access"]),
        Case(
            what: "owner-only daemon mode with a daemon group", toml: "[daemon]\nmode = \"0600\"\ngroup = \"root\"\n[[channel]]\nname = \"a\"\n",
            key: "daemon.mode",
            reason: [
                "0600 gives the group no access, so group 'root' would own objects its members cannot open",
                "remove the group key",
            ]),
        Case(
            what: "owner-only channel mode with a channel group", toml: "[[channel]]\nname = \"a\"\nmode = \"0600\"\ngroup = \"root\"\n",
            key: "channel[0].mode", reason: ["group 'root' would own objects its members cannot open"]),
        Case(
            what: "a channel group under the daemon's owner-only mode", toml: "[daemon]\nmode = \"0600\"\n[[channel]]\nname = \"a\"\ngroup = \"root\"\n",
            key: "channel[0].group", reason: ["the mode from [daemon], 0600 gives the group no access, so group 'root'"]),
        Case(
            what: "allow-world of the wrong type", toml: "[daemon]\nallow-world = \"yes\"\n[[channel]]\nname = \"a\"\n",
            key: "daemon.allow-world", reason: ["wrong type: expected a boolean (true or false)"]),
    ]

    @Test("refused, naming the key, the reason and the fix", arguments: refused)
    func refusedModes(_ bad: Case) {
        do {
            _ = try ConfigLoader.parse(bad.toml, file: "/etc/shmd/x.toml")
            Issue.record("accepted: \(bad.what)")
        } catch let error as ConfigError {
            #expect(error.key == bad.key, "\(error)")
            #expect(error.line != nil, "\(error)")
            for part in bad.reason { #expect(error.reason.contains(part), "\(error)") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("allow-world = true in [daemon] accepts world read for every channel, and the warning names them with their modes")
    func allowWorldInDaemon() throws {
        let config = try ConfigLoader.parse(
            """
            [daemon]
            allow-world = true
            mode = "0664"
            [[channel]]
            name = "pub"
            [[channel]]
            name = "news"
            mode = "0665"
            [[channel]]
            name = "private"
            mode = "0660"
            """, file: "x.toml")
        #expect(config.channels.map(\.permissions.mode) == [0o664, 0o665, 0o660])
        let warning = try #require(WorldAccessWarning.message(for: config))
        #expect(warning.hasPrefix("channels open to every local user (allow-world = true): pub (mode 0664), news (mode 0665): "), "\(warning)")
        #expect(!warning.contains("private"))
    }

    @Test("allow-world = true in one [[channel]] accepts world read for that channel only")
    func allowWorldPerChannel() throws {
        let config = try ConfigLoader.parse(
            """
            [[channel]]
            name = "pub"
            mode = "0664"
            allow-world = true
            [[channel]]
            name = "b"
            """, file: "x.toml")
        #expect(config.channels.map(\.permissions.mode) == [0o664, 0o660])
        #expect(
            WorldAccessWarning.message(for: config)?.hasPrefix(
                "channel open to every local user (allow-world = true): pub (mode 0664): any user on this host can read its messages") == true)
    }

    @Test("owner-only modes stay allowed without a group key, also under a daemon group; group rw is allowed with or without")
    func accepted() throws {
        let config = try ConfigLoader.parse(
            """
            [daemon]
            group = "root"
            [[channel]]
            name = "private"
            mode = "0600"
            [[channel]]
            name = "shared"
            mode = "0660"
            group = "root"
            [[channel]]
            name = "default"
            """, file: "x.toml")
        #expect(config.channels.map(\.permissions.mode) == [0o600, 0o660, 0o660])
        #expect(config.channels.map(\.permissions.group) == [0, 0, 0])
        #expect(WorldAccessWarning.message(for: config) == nil)
    }

    @Test("the unknown-key message lists allow-world")
    func knownKeys() {
        #expect {
            _ = try ConfigLoader.parse("[daemon]\nallow-wrld = true\n[[channel]]\nname = \"a\"\n", file: "x.toml")
        } throws: { error in
            (error as? ConfigError)?.reason
                == "unknown key (known keys: prefix, mode, group, allow-world, sweep-interval, require-all-channels, max-clients, stuck-after)"
        }
        #expect {
            _ = try ConfigLoader.parse("[[channel]]\nname = \"a\"\nallow-wrld = true\n", file: "x.toml")
        } throws: { error in
            (error as? ConfigError)?.reason.contains("mode, group, allow-world, max-clients, stuck-after, segment") == true
        }
    }
}
