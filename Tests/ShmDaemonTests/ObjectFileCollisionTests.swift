import Testing

@testable import ShmDaemon

/// Two objects of one config must never be the same file in /dev/shm: creating a channel
/// unlinks leftovers of its names first, which would delete the other channel's live object.
@Suite("shmd.toml: objects that would share a file in /dev/shm")
struct ObjectFileCollisionTests {
    func refusal(_ toml: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(toml, file: "/etc/shmd/x.toml")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(
        "a ring channel whose segment is another channel's semaphore file is refused, in either order",
        arguments: [["a", "sem.a.empty"], ["sem.a.empty", "a"]])
    func segmentIsSemaphoreFile(_ names: [String]) throws {
        let error = try #require(
            refusal(
                """
                [daemon]
                prefix = "sem"
                [[channel]]
                name = "\(names[0])"
                [[channel]]
                name = "\(names[1])"
                """))
        #expect(error.line == 5, "\(error)")
        #expect(error.key == "channel[1]", "\(error)")
        #expect(error.reason.contains("are the same file, /dev/shm/sem.sem.a.empty"), "\(error)")
        #expect(error.reason.contains("the segment /sem.sem.a.empty of channel 'sem.a.empty'"), "\(error)")
        #expect(error.reason.contains("the semaphore 'empty' /sem.a.empty of channel 'a'"), "\(error)")
        #expect(error.reason.contains("creating one would delete the other"), "\(error)")
        #expect(error.reason.hasSuffix("Give one of them another name (channel[1].name or channel[0].name)"), "\(error)")
    }

    @Test("a seed segment named like a ring channel's semaphore file is refused, naming the seed key")
    func seedSegmentIsSemaphoreFile() throws {
        let error = try #require(
            refusal(
                """
                [daemon]
                prefix = "tp"
                [[channel]]
                name = "demo"
                [[channel]]
                name = "s"
                layout = "seed"
                segment = "/sem.tp.demo.empty"
                sem-empty = "/e"
                sem-full = "/f"
                """))
        #expect(error.line == 5, "\(error)")
        #expect(error.key == "channel[1]", "\(error)")
        #expect(error.reason.contains("the buffer segment /sem.tp.demo.empty of channel 's' (from channel[1].segment)"), "\(error)")
        #expect(error.reason.contains("the semaphore 'empty' /tp.demo.empty of channel 'demo' (from channel[0].name)"), "\(error)")
        #expect(error.reason.contains("/dev/shm/sem.tp.demo.empty"), "\(error)")
        #expect(error.reason.hasSuffix("(channel[1].segment or channel[0].name)"), "\(error)")
    }

    @Test("a seed semaphore whose file is another seed channel's segment is refused")
    func seedSemaphoreIsSegmentFile() throws {
        let error = try #require(
            refusal(
                """
                [[channel]]
                name = "s"
                layout = "seed"
                segment = "/sem.x"
                sem-empty = "/e"
                sem-full = "/f"
                [[channel]]
                name = "t"
                layout = "seed"
                segment = "/y"
                sem-empty = "/x"
                sem-full = "/f2"
                """))
        #expect(error.key == "channel[1]", "\(error)")
        #expect(error.reason.contains("the semaphore 'empty' /x of channel 't' (from channel[1].sem-empty)"), "\(error)")
        #expect(error.reason.contains("the buffer segment /sem.x of channel 's' (from channel[0].segment)"), "\(error)")
        #expect(error.reason.contains("/dev/shm/sem.x"), "\(error)")
    }

    @Test("one seed channel whose own segment and semaphore are one file is refused")
    func withinOneChannel() throws {
        let error = try #require(
            refusal(
                """
                [[channel]]
                name = "s"
                layout = "seed"
                segment = "/sem.e"
                sem-empty = "/e"
                sem-full = "/f"
                """))
        #expect(error.key == "channel[0]", "\(error)")
        #expect(
            error.reason.contains(
                "the semaphore 'empty' /e of channel 's' (from channel[0].sem-empty) and the buffer segment /sem.e of channel 's' (from channel[0].segment) are the same file, /dev/shm/sem.e"
            ), "\(error)")
    }

    @Test("names that only look alike are accepted: a segment /x and a semaphore /x are different files")
    func distinctFiles() throws {
        let config = try ConfigLoader.parse(
            """
            [daemon]
            prefix = "sem"
            [[channel]]
            name = "a"
            [[channel]]
            name = "s"
            layout = "seed"
            segment = "/sem.a.empty.x"
            sem-empty = "/sem.a"
            sem-full = "/sem.a.full.x"
            """, file: "x.toml")
        #expect(config.channels.count == 2)
    }
}
