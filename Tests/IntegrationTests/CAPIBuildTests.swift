import Foundation
import Glibc
import ShmKit
import TestSupport
import Testing

/// libshmkit as something to build and link against: what the library needs at run time, what
/// it exports, what `make install-files` stages, and a program built with the README's
/// pkg-config line, also as strict C99.
@Suite("libshmkit: ldd, exports, the staged install, pkg-config and C99")
struct CAPIBuildTests {
    static let library = Executables.path("libshmkit.so")
    static let header = PackageRoot.path + "/Sources/ShmKitC/include/shmkit.h"
    static let channels = """
        [[channel]]
        name = "demo"
        slots = 8
        slot-size = 256
        """

    @Test("ldd libshmkit.so: libc, libm, libstdc++, libgcc_s and the loader only, nothing of the Swift toolchain; soname libshmkit.so.1")
    func dependencies() throws {
        let ldd = try run("/usr/bin/ldd", [Self.library])
        #expect(ldd.status == 0, "\(ldd)")
        let allowed = ["linux-vdso.so.", "libc.so.", "libm.so.", "libstdc++.so.", "libgcc_s.so.", "ld-linux-x86-64.so.", "ld-linux-aarch64.so."]
        let names = ldd.stdout.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: \.isWhitespace).first.map { ($0.split(separator: "/").last ?? $0, line) }
        }
        #expect(!names.isEmpty)
        for (name, line) in names {
            #expect(allowed.contains { name.hasPrefix($0) }, "libshmkit.so needs \(line)")
            #expect(!line.contains("swift") && !line.contains("not found"), "\(line)")
        }
        let dynamic = try run("/usr/bin/readelf", ["-d", Self.library])
        #expect(dynamic.stdout.contains("Library soname: [libshmkit.so.1]"), "\(dynamic.stdout)")
        // SwiftPM's RUNPATH $ORIGIN (the library's own folder) is all: no build or toolchain folder.
        let paths = dynamic.stdout.split(separator: "\n").filter { $0.contains("RUNPATH") || $0.contains("RPATH") }
        #expect(paths.allSatisfy { $0.hasSuffix("[$ORIGIN]") }, "\(paths)")
    }

    @Test("every function shmkit.h declares is exported by libshmkit.so")
    func exports() throws {
        let header = try String(contentsOfFile: Self.header, encoding: .utf8)
        let declared = Set(header.matches(of: /\b(shmkit_[a-z_]+)\(/).map { String($0.1) })
        #expect(declared.count == 23, "\(declared.sorted())") // 19 in 1.0, 4 more for fan-out in 1.1
        let nm = try run("/usr/bin/nm", ["-D", "--defined-only", Self.library])
        let exported = Set(nm.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        #expect(declared.subtracting(exported).isEmpty, "not exported: \(declared.subtracting(exported).sorted())")
    }

    @Test("make install-files stages the library with its soname links, shmkit.h and shmkit.pc, from the debug build")
    func stagedInstall() throws {
        let root = try LibShmKit.stage()
        let lib = root + LibShmKit.prefix + "/lib"
        let files = FileManager.default
        #expect(try files.destinationOfSymbolicLink(atPath: lib + "/libshmkit.so") == "libshmkit.so.1")
        #expect(try files.destinationOfSymbolicLink(atPath: lib + "/libshmkit.so.1") == "libshmkit.so.1.1.0")
        #expect(files.isExecutableFile(atPath: lib + "/libshmkit.so.1.1.0"))
        #expect(files.contentsEqual(atPath: root + LibShmKit.prefix + "/include/shmkit.h", andPath: Self.header))
        let environment = try LibShmKit.pkgConfigEnvironment()
        let flags = try run("/usr/bin/pkg-config", ["--cflags", "--libs", "shmkit"], environment: environment)
        #expect(flags.status == 0, "\(flags)")
        #expect(flags.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "-I\(root)/usr/local/include -L\(lib) -lshmkit")
        // The version of shmkit.pc is the header's.
        let version = try run("/usr/bin/pkg-config", ["--modversion", "shmkit"], environment: environment)
        let header = try String(contentsOfFile: Self.header, encoding: .utf8)
        let major = header.firstMatch(of: /SHMKIT_VERSION_MAJOR (\d+)/).map { String($0.1) } ?? "?"
        let minor = header.firstMatch(of: /SHMKIT_VERSION_MINOR (\d+)/).map { String($0.1) } ?? "?"
        #expect(version.stdout.hasPrefix("\(major).\(minor)."), "shmkit.pc \(version.stdout), shmkit.h \(major).\(minor)")
    }

    @Test("cc app.c $(pkg-config --cflags --libs shmkit) against the staged tree: it builds (also as strict C99) and moves 3,000 messages")
    func pkgConfigProgram() throws {
        let out = try LibShmKit.outputDirectory()
        let source = LibShmKit.sources + "/shmkit_app.c"
        let plain = try LibShmKit.shell("cc -o \(out)/app \(source)", output: "\(out)/app")
        let strict = try LibShmKit.shell("cc -std=c99 -pedantic-errors -Wall -Wextra -Werror -o \(out)/app99 \(source)", output: "\(out)/app99")
        let daemon = try TestDaemon(channels: Self.channels)
        for program in [plain, strict] {
            let result = try LibShmKit.runStaged(program, ["demo", daemon.prefix, "3000"])
            #expect(result.status == 0 && result.stdout == "ok 3000\n", "\(program): \(result)")
        }
        #expect(daemon.stop() == 0)
        #expect(TestNames.leftovers(daemon.prefix).isEmpty)
    }
}
