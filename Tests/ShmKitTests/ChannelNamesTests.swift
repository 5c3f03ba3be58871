import Testing

@testable import ShmKit

@Suite("object names")
struct ChannelNamesTests {
    @Test("channel demo with prefix shmd maps to the names of the design")
    func names() throws {
        let names = try ChannelNames(prefix: "shmd", channel: "demo")
        #expect(names.segment == "/shmd.demo")
        #expect(names.semaphoreEmpty == "/shmd.demo.empty")
        #expect(names.semaphoreFull == "/shmd.demo.full")
        #expect(NamedSemaphore.filePath(names.semaphoreEmpty) == "/dev/shm/sem.shmd.demo.empty")
    }

    @Test(
        "bad names are refused with the reason",
        arguments: [
            ("", "empty"), ("a/b", "contains '/'"), ("..", "'.' or '..'"), ("sp ace", "contains ' '"),
            ("é", "contains 'é'"), (String(repeating: "x", count: 250), "NAME_MAX"),
        ])
    func badNames(_ name: String, _ reason: String) {
        #expect {
            _ = try ChannelNames(prefix: "shmd", channel: name)
        } throws: { error in
            guard case let .invalidName(_, why) = error as? ChannelError else { return false }
            return why.contains(reason)
        }
    }

    @Test("the longest name that fits NAME_MAX with its semaphore decoration is accepted, one more is not")
    func nameMaxBoundary() throws {
        let room = ChannelNames.nameMax - ChannelNames.longestDecoration - "shmd".count - 1
        _ = try ChannelNames(prefix: "shmd", channel: String(repeating: "a", count: room))
        #expect(throws: ChannelError.self) { _ = try ChannelNames(prefix: "shmd", channel: String(repeating: "a", count: room + 1)) }
    }

    @Test("config object names need one leading slash")
    func objectNames() throws {
        try ChannelNames.validate(objectName: "/my_shm")
        #expect(throws: ChannelError.self) { try ChannelNames.validate(objectName: "my_shm") }
        #expect(throws: ChannelError.self) { try ChannelNames.validate(objectName: "/a/b") }
    }
}
