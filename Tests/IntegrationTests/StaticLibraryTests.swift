import Foundation
import Glibc
import TestSupport
import Testing

/// libshmkit.a (Sources/ShmKitC/static-archive.py) links into a C program with nothing from the
/// Swift toolchain, exports only the C API, and works.
@Suite("libshmkit.a, the static C library")
struct StaticLibraryTests {
    static let program = #"""
        #include <shmkit.h>
        #include <stdio.h>
        #include <string.h>
        int main(int argc, char **argv) {
            shmkit_writer *w = NULL; shmkit_reader *r = NULL;
            int s = shmkit_writer_open("demo", argv[1], 5.0, &w);
            if (s == 0) s = shmkit_reader_open("demo", argv[1], 0, &r);
            if (s != 0) { fprintf(stderr, "%d %s\n", s, shmkit_last_error()); return s; }
            s = shmkit_send(w, "static hello", 12, SHMKIT_FOREVER);
            char buffer[1024]; size_t length = 0;
            if (s == 0) s = shmkit_receive(r, buffer, sizeof buffer, &length, 5.0);
            if (s != 0) { fprintf(stderr, "%d %s\n", s, shmkit_last_error()); return s; }
            printf("%.*s\n", (int)length, buffer);
            shmkit_writer_free(w); shmkit_reader_free(r);
            return 0;
        }
        """#

    @Test("a C program linked with libshmkit.a -lstdc++ -lm -lpthread -ldl sends and receives; only shmkit_ symbols are global")
    func linksAndRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shmkit-static-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = directory + "/libshmkit.a"
        // The debug build's objects: this test runs from that build (Executables.directory).
        let build = URL(fileURLWithPath: Executables.directory).deletingLastPathComponent().deletingLastPathComponent().path
        let configuration = URL(fileURLWithPath: Executables.directory).lastPathComponent
        let made = try run(
            "/usr/bin/python3", [PackageRoot.path + "/Sources/ShmKitC/static-archive.py", build, configuration, archive], seconds: 120)
        try #require(made.status == 0, "static-archive.py failed: \(made)")

        let globals = try run("/usr/bin/nm", ["-g", "--defined-only", archive])
        let names = globals.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last }.filter { !$0.hasSuffix(":") }
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("shmkit_") }, "\(names.filter { !$0.hasPrefix("shmkit_") }.prefix(10))")

        try Self.program.write(toFile: directory + "/app.c", atomically: true, encoding: .utf8)
        let compiled = try run(
            "/usr/bin/cc",
            [
                "-O2", "-Wall", "-I", PackageRoot.path + "/Sources/ShmKitC/include", directory + "/app.c", archive,
                "-lstdc++", "-lm", "-lpthread", "-ldl", "-o", directory + "/app",
            ], seconds: 120)
        try #require(compiled.status == 0, "cc failed: \(compiled)")
        let libraries = try run("/usr/bin/ldd", [directory + "/app"])
        #expect(!libraries.stdout.contains("swift"), "\(libraries.stdout)")

        let daemon = try TestDaemon(channels: "[[channel]]\nname = \"demo\"\n")
        let result = try run(directory + "/app", [daemon.prefix])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "static hello\n")
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
