import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// The programs in examples/, built as their READMEs say against the staged install (see
/// LibShmKit) and run against a channel: the seed's writer.c and reader.c on libshmkit, and a
/// C++17 program.
@Suite("libshmkit: examples/c and examples/cpp build and run")
struct CAPIExampleTests {
    static let examples = PackageRoot.path + "/examples"
    static let channels = CAPIBuildTests.channels

    @Test("examples/cpp/ping.cpp: g++ -std=c++17 -Wall -Wextra -Werror -pedantic against shmkit.h, links and runs")
    func cplusplus() throws {
        let out = try LibShmKit.outputDirectory()
        let ping = try LibShmKit.shell(
            "g++ -std=c++17 -Wall -Wextra -Werror -pedantic -o \(out)/ping \(Self.examples)/cpp/ping.cpp", output: "\(out)/ping")
        let daemon = try TestDaemon(channels: Self.channels)
        let result = try LibShmKit.runStaged(ping, ["demo", daemon.prefix, "3"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "received 'ping 0'\nreceived 'ping 1'\nreceived 'ping 2'\n")
        let missing = try LibShmKit.runStaged(ping, ["nothing", daemon.prefix])
        #expect(missing.status == 69)
        #expect(missing.stderr.hasPrefix("ping: channel 'nothing' does not exist"), "\(missing.stderr)")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("examples/c: the seed's writer.c and reader.c on libshmkit, built with the README's line, print the seed's lines")
    func seedExamples() throws {
        let readme = try String(contentsOfFile: Self.examples + "/c/README.md", encoding: .utf8)
        let line = try #require(readme.split(separator: "\n").first { $0.hasPrefix("    cc ") }).trimmingCharacters(in: .whitespaces)
        let out = try LibShmKit.outputDirectory() + "/examples-c"
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in ["writer.c", "reader.c"] {
            try FileManager.default.copyItem(atPath: Self.examples + "/c/" + name, toPath: out + "/" + name)
        }
        let built = try run("/bin/sh", ["-c", "cd \(LibShmKit.shellQuoted(out)) && \(line)"], environment: try LibShmKit.pkgConfigEnvironment())
        #expect(built.status == 0 && built.stderr.isEmpty, "\(line): \(built)")

        let daemon = try TestDaemon(channels: Self.channels)
        let written = (0..<5).map { "Writer: wrote 'Message \($0) from writer'\n" }.joined()
        let read = (0..<5).map { "Reader: read 'Message \($0) from writer'\n" }.joined()
        // The seed's order: the writer first, then the reader.
        let writer = try LibShmKit.runStaged(out + "/writer", ["demo", daemon.prefix])
        #expect(writer.status == 0 && writer.stdout == written, "\(writer)")
        let reader = try LibShmKit.runStaged(out + "/reader", ["demo", daemon.prefix])
        #expect(reader.status == 0 && reader.stdout == read, "\(reader)")
        // The reader may also start first: it waits for the messages.
        let early = try ChildProcess(out + "/reader", ["demo", daemon.prefix], environment: ["LD_LIBRARY_PATH": try LibShmKit.libraryDirectory()])
        #expect(waitUntil(seconds: 10) { (try? ChannelSnapshot(channel: "demo", prefix: daemon.prefix))?.clients.count == 1 })
        #expect(try LibShmKit.runStaged(out + "/writer", ["demo", daemon.prefix]).status == 0)
        #expect(early.waitForExit(seconds: 20) == 0, "\(early.stderr)")
        #expect(early.stdout == read)
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }

    @Test("the README's example in \"From C and C++\" builds with its pkg-config line and runs")
    func readmeExample() throws {
        let readme = try String(contentsOfFile: PackageRoot.path + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "### From C and C++\n"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```c\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```\n"))
        let daemon = try TestDaemon(channels: Self.channels)
        // The example attaches to the real shmd's prefix ("shmd", NULL); this test's daemon has its own.
        let source = String(rest[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "\"demo\", NULL", with: "\"demo\", \"\(daemon.prefix)\"")
        #expect(source.components(separatedBy: daemon.prefix).count == 3, "the example no longer opens \"demo\" with prefix NULL twice")
        let out = try LibShmKit.outputDirectory()
        try source.write(toFile: out + "/readme-app.c", atomically: true, encoding: .utf8)
        let app = try LibShmKit.shell("cc -Wall -Wextra -Werror -o \(out)/readme-app \(out)/readme-app.c", output: out + "/readme-app")
        let result = try LibShmKit.runStaged(app, [])
        #expect(result.status == 0 && result.stdout == "hello\n", "\(result)")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
