import ShmKit
import Testing

@testable import ShmDaemon

@Suite("shmd.toml: max-clients and require-all-channels")
struct DaemonKeysTests {
    @Test("max-clients: 64 by default, set in [daemon] for every channel, overridden per channel")
    func maxClients() throws {
        #expect(try ConfigLoader.parse("[[channel]]\nname = \"a\"\n", file: "x.toml").channels[0].clientCapacity == 64)
        let config = try ConfigLoader.parse(
            """
            [daemon]
            max-clients = 8
            [[channel]]
            name = "a"
            [[channel]]
            name = "b"
            max-clients = 300
            """, file: "x.toml")
        #expect(config.channels.map(\.clientCapacity) == [8, 300])
    }

    @Test("max-clients out of 1...4096 names the key, with the range", arguments: ["0", "4097", "-1"])
    func maxClientsOutOfRange(value: String) {
        #expect {
            try ConfigLoader.parse("[[channel]]\nname = \"a\"\nmax-clients = \(value)\n", file: "x.toml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("channel[0].max-clients") && text.contains("between 1 and 4096")
        }
    }

    @Test("require-all-channels: false by default, a boolean")
    func requireAll() throws {
        #expect(try ConfigLoader.parse("[[channel]]\nname = \"a\"\n", file: "x.toml").requireAllChannels == false)
        #expect(try ConfigLoader.parse("[daemon]\nrequire-all-channels = true\n[[channel]]\nname = \"a\"\n", file: "x.toml").requireAllChannels)
        #expect {
            try ConfigLoader.parse("[daemon]\nrequire-all-channels = \"yes\"\n[[channel]]\nname = \"a\"\n", file: "x.toml")
        } throws: { error in "\(error)".contains("daemon.require-all-channels") && "\(error)".contains("boolean") }
    }
}
