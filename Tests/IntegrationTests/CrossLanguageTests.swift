import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// libshmkit and the Swift clients on one channel: a C program over the C API
/// (Tests/IntegrationTests/C/shmkit_frames.c) writes what `shm-reader --binary` reads, and reads
/// what `shm-writer --binary` writes, byte-exact and in order.
@Suite("C (libshmkit) and Swift clients on one channel: 1,000,000 messages byte-exact, in order")
struct CrossLanguageTests {
    static let count = 1_000_000
    static let slotSize = 256

    /// Runs a writer and a reader (started by `startWriter` with its stdin a pipe, and by
    /// `startReader` with its stdout the file it is given) on a channel `frames` of 64 × 256
    /// bytes, feeds the writer 1,000,000 random frames and checks that the reader wrote them back.
    /// The reader writes to a file rather than to a pipe this process reads: `shm-reader` writes
    /// each frame on its own, and collecting a million small writes from a pipe costs more than
    /// the channel.
    func stream(
        _ proto: String, _ what: String, writer startWriter: (TestDaemon) throws -> ChildProcess,
        reader startReader: (TestDaemon, FileHandle) throws -> ChildProcess
    ) throws {
        let daemon = try TestDaemon(
            channels: """
                [[channel]]
                name = "frames"
                slots = 64
                slot-size = \(Self.slotSize)
                protocol = "\(proto)"
                """)
        let seed = UInt64.random(in: 1...UInt64.max)
        let input = Frames.random(count: Self.count, maximumSize: Self.slotSize, seed: seed)
        let outputPath = NSTemporaryDirectory() + "\(daemon.prefix).frames"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil), let outputFile = FileHandle(forWritingAtPath: outputPath)
        else { throw TestFailure("cannot create \(outputPath)") }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let start = Date()
        let reader = try startReader(daemon, outputFile)
        try outputFile.close()
        let writer = try startWriter(daemon)
        writer.feed(input)
        #expect(writer.waitForExit(seconds: 300) == 0, "writer (seed \(seed)): \(writer.stderr)")
        #expect(reader.waitForExit(seconds: 300) == 0, "reader (seed \(seed)): \(reader.stderr)")
        let seconds = Date().timeIntervalSince(start)
        let output = try Data(contentsOf: URL(fileURLWithPath: outputPath))
        #expect(output.count == input.count, "seed \(seed): \(output.count) bytes out for \(input.count) in")
        let difference = Frames.firstDifference(output, input)
        #expect(difference == nil, "seed \(seed): \(difference ?? "")")
        let snapshot = try ChannelSnapshot(channel: "frames", prefix: daemon.prefix)
        #expect(snapshot.counters[.written] == UInt64(Self.count))
        #expect(snapshot.counters[.read] == UInt64(Self.count))
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
        print("\(what), \(proto): \(Self.count) messages (\(input.count) bytes) in \(String(format: "%.1f", seconds)) s")
    }

    @Test("C writer (shmkit_send, shmkit_claim/commit) → shm-reader --binary", arguments: ["fast", "classic"])
    func cToSwift(proto: String) throws {
        let program = try ShmKitFrames.build()
        try stream(
            proto, "C → shm-reader --binary",
            writer: { try ChildProcess(program, ["write", "frames", $0.prefix], stdin: true) },
            reader: { daemon, output in
                try ChildProcess(
                    Executables.path("shm-reader"), ["frames", "--binary", "--count", "\(Self.count)", "--prefix", daemon.prefix], stdout: output)
            })
    }

    @Test("shm-writer --binary → C reader (shmkit_receive, shmkit_borrow/release)", arguments: ["fast", "classic"])
    func swiftToC(proto: String) throws {
        let program = try ShmKitFrames.build()
        try stream(
            proto, "shm-writer --binary → C",
            writer: { try $0.startClient("shm-writer", ["frames", "--binary"], stdin: true) },
            reader: { daemon, output in try ChildProcess(program, ["read", "frames", daemon.prefix, "\(Self.count)"], stdout: output) })
    }

    @Test("the C writer's errors: a frame longer than the slot, a truncated frame, no such channel")
    func cWriterErrors() throws {
        let program = try ShmKitFrames.build()
        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"frames\"\nslots = 4\nslot-size = 16\n")
        // A frame longer than the slot is claimed and refused by shmkit_commit, as the first
        // frame and as a later one.
        for messages in [[[UInt8](repeating: 1, count: 17)], [[1], [UInt8](repeating: 2, count: 17)]] {
            let result = try run(program, ["write", "frames", daemon.prefix], input: Frames.encode(messages))
            #expect(result.status == 65, "\(result)")
            #expect(result.stderr.contains("message of 17 bytes is larger than a slot of channel 'frames' (16 bytes)"), "\(result)")
        }
        let truncated = try run(program, ["write", "frames", daemon.prefix], input: Frames.encode([[1, 2, 3]]).dropLast(2))
        #expect(truncated.status == 65, "\(truncated)")
        #expect(truncated.stderr.contains("ends inside a frame of 3 bytes: 2 bytes are missing"), "\(truncated)")
        let missing = try run(program, ["write", "nothing", daemon.prefix], input: Data())
        #expect(missing.status == 69, "\(missing)")
        #expect(missing.stderr.contains("channel 'nothing' does not exist"), "\(missing)")
        #expect(daemon.stop() == 0)
    }
}

/// Tests/IntegrationTests/C/shmkit_frames.c, compiled with the system's C compiler against this
/// build's libshmkit once per test run: in a folder of its own that holds libshmkit.so.1 (the
/// library's soname) and libshmkit.so, links to the built library, found through the rpath.
enum ShmKitFrames {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("C/shmkit_frames.c").path
    private static let built = Locked<String?>(nil)

    static func build() throws -> String {
        try built.withLock { built in
            if let built { return built }
            let library = Executables.path("libshmkit.so")
            guard FileManager.default.fileExists(atPath: library) else {
                throw TestFailure("\(library) is missing: build the package with `swift build --build-tests`")
            }
            let directory = NSTemporaryDirectory() + "shmkit-frames-\(getpid())"
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: directory + "/libshmkit.so.1", withDestinationPath: library)
            try FileManager.default.createSymbolicLink(atPath: directory + "/libshmkit.so", withDestinationPath: "libshmkit.so.1")
            let program = directory + "/shmkit_frames"
            let result = try run(
                "/usr/bin/cc",
                [
                    "-O2", "-Wall", "-Wextra", "-Werror", "-I", PackageRoot.path + "/Sources/ShmKitC/include", "-o", program, source,
                    "-L", directory, "-lshmkit", "-Wl,-rpath," + directory,
                ], seconds: 120)
            guard result.status == 0 else { throw TestFailure("cc shmkit_frames.c failed: \(result.stderr)") }
            built = program
            return program
        }
    }
}
