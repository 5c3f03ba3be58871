import Foundation
import Glibc
import TestSupport
import Testing

/// libshmkit as a C or C++ program gets it: this build's library, header and shmkit.pc staged
/// once per test run with `make install-files DESTDIR=… BUILT=<this build>` into a temporary
/// tree, and programs compiled against it with `$(pkg-config --cflags --libs shmkit)`, the
/// README's line, under PKG_CONFIG_SYSROOT_DIR and PKG_CONFIG_PATH.
enum LibShmKit {
    static let prefix = "/usr/local"
    /// The C sources of the tests.
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("C").path
    private static let staged = Locked<String?>(nil)
    private static let built = Locked<[String: String]>([:])

    /// The DESTDIR of the staged install (created on first use); `make`'s output on failure.
    static func stage() throws -> String {
        try staged.withLock { staged in
            if let staged { return staged }
            let root = NSTemporaryDirectory() + "shmkit-stage-\(getpid())"
            try? FileManager.default.removeItem(atPath: root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let make = try run(
                "/usr/bin/make",
                ["-s", "-C", PackageRoot.path, "install-files", "DESTDIR=\(root)", "BUILT=\(Executables.directory)", "PREFIX=\(prefix)"])
            guard make.status == 0 else { throw TestFailure("make install-files failed: \(make)") }
            staged = root
            return root
        }
    }

    /// The staged library folder, for the loader (`-Wl,-rpath`, LD_LIBRARY_PATH).
    static func libraryDirectory() throws -> String { try stage() + prefix + "/lib" }

    /// What pkg-config needs to find the staged shmkit.pc and to prefix its paths with DESTDIR.
    static func pkgConfigEnvironment() throws -> [String: String] {
        let root = try stage()
        return ["PKG_CONFIG_PATH": root + prefix + "/lib/pkgconfig", "PKG_CONFIG_SYSROOT_DIR": root]
    }

    /// A folder anyone may read and run programs from (a test runs one as another user).
    static func outputDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "shmkit-programs-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return directory
    }

    /// Compiles `source` (a path) with `compiler` and `flags`, then the pkg-config flags, into
    /// an executable that finds the staged library by its rpath. Built once per run and name.
    static func build(_ source: String, name: String, compiler: String = "/usr/bin/cc", flags: [String] = ["-O2", "-Wall", "-Wextra", "-Werror"]) throws
        -> String
    {
        let environment = try pkgConfigEnvironment()
        let library = try libraryDirectory()
        let output = try outputDirectory() + "/" + name
        return try built.withLock { built in
            if let path = built[name] { return path }
            let line =
                ([compiler] + flags + ["-o", output, source]).map(shellQuoted).joined(separator: " ")
                + " $(pkg-config --cflags --libs shmkit) -pthread -Wl,-rpath," + shellQuoted(library)
            let result = try run("/bin/sh", ["-c", line], environment: environment, seconds: 120)
            guard result.status == 0 else { throw TestFailure("\(line) failed: \(result)") }
            built[name] = output
            return output
        }
    }

    /// One of the test programs in Tests/IntegrationTests/C.
    static func testProgram(_ name: String) throws -> String {
        try build(sources + "/" + name + ".c", name: name)
    }

    /// Runs the compiler command `line` followed by `$(pkg-config --cflags --libs shmkit)`, as a
    /// user would, and returns `output`, the executable it makes; a failure or a warning is an
    /// issue of the calling test.
    static func shell(_ line: String, output: String) throws -> String {
        let result = try run("/bin/sh", ["-c", line + " $(pkg-config --cflags --libs shmkit)"], environment: try pkgConfigEnvironment())
        #expect(result.status == 0, "\(line): \(result)")
        #expect(result.stderr.isEmpty, "\(line): \(result.stderr)")
        return output
    }

    /// What a program needs at run time from the staged tree: the loader's path, nothing else.
    static func runStaged(_ program: String, _ arguments: [String]) throws -> Finished {
        try run(program, arguments, environment: ["LD_LIBRARY_PATH": try libraryDirectory()], seconds: 60)
    }

    static func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// What a test program printed: `NAME\tSTATUS\tKIND\tTEXT` for each call, `=NAME\tVALUE` for each
/// value (see Tests/IntegrationTests/C/shmkit_errors.c).
struct CallReport {
    struct Call: Equatable, CustomStringConvertible {
        var status: Int32
        var kind: Int32
        var text: String
        var description: String { "\(status) kind \(kind) '\(text)'" }
    }

    var calls: [String: Call] = [:]
    var order: [String] = []
    var values: [String: String] = [:]
    var other: [String] = []

    init(_ output: String) {
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            if line.hasPrefix("="), fields.count == 2 {
                values[String(fields[0].dropFirst())] = fields[1]
            } else if fields.count == 4, let status = Int32(fields[1]), let kind = Int32(fields[2]) {
                calls[fields[0]] = Call(status: status, kind: kind, text: fields[3])
                order.append(fields[0])
            } else {
                other.append(String(line))
            }
        }
    }

    func value(_ name: String) -> Int? { values[name].flatMap { Int($0) } }
}
