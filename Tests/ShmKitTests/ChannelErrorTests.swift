import SystemPackage
import Testing

@testable import ShmKit

@Suite("channel errors")
struct ChannelErrorTests {
    @Test("each error has its sysexits code")
    func exitCodes() {
        #expect(ChannelError.notFound(channel: "c", object: "/p.c", waited: 0).exitCode == .unavailable)
        #expect(ChannelError.closed(channel: "c").exitCode == .unavailable)
        #expect(ChannelError.messageTooLarge(channel: "c", size: 2, limit: 1).exitCode == .dataError)
        #expect(ChannelError.headerMismatch(channel: "c", field: "f", expected: "1", found: "2").exitCode == .dataError)
        #expect(ChannelError.permissionDenied(channel: "c", object: "/p.c").exitCode == .permissionDenied)
        #expect(ChannelError.timedOut(channel: "c", operation: "o", seconds: 1).exitCode == .temporaryFailure)
        #expect(ChannelError.invalidName(name: "c", reason: "r").exitCode == .usage)
    }

    @Test("failed calls map to what the user can act on, keeping the object's name")
    func mapping() {
        let denied = SystemCallError(call: "shm_open", object: "/p.c", errno: .permissionDenied)
        #expect(ChannelError.from(denied, channel: "c") == .permissionDenied(channel: "c", object: "/p.c"))
        let missing = SystemCallError(call: "sem_open", object: "/p.c.full", errno: .noSuchFileOrDirectory)
        #expect(ChannelError.from(missing, channel: "c") == .notFound(channel: "c", object: "/p.c.full", waited: 0))
        let other = SystemCallError(call: "mmap", object: "/p.c", errno: .noMemory)
        #expect(ChannelError.from(other, channel: "c").description.contains("mmap(/p.c): Cannot allocate memory"))
    }
}
