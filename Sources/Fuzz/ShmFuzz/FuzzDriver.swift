import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the four fuzz executables run: under libFuzzer, one input per call; in a normal build,
/// a replay of input files or the writing of the seed corpus.
package enum FuzzDriver {
    /// One libFuzzer input. A broken invariant is printed and the process aborted, which
    /// libFuzzer reports as a crash and saves the input for (`crash-<sha1>`).
    package static func fuzz(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        do {
            try target.run(UnsafeRawBufferPointer(start: data, count: size))
        } catch {
            printError("\(target.program): invariant broken: \(error)")
            abort()
        }
        return 0
    }

    /// `fuzz-X FILE|DIR ...` runs every file (each file of a folder) through the target once;
    /// `fuzz-X --write-seeds DIR` writes the seed corpus into DIR. Exits 0 when every input
    /// passed, 1 when one failed, 64 for a usage error, 66 for an input that cannot be read,
    /// 73 when a seed cannot be written.
    package static func replayMain(_ target: FuzzTarget) -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let usage = "usage: \(target.program) FILE|DIR ... | \(target.program) --write-seeds DIR"
        if arguments.first == "--write-seeds" {
            guard arguments.count == 2 else { fail(64, "\(usage)\n--write-seeds takes one folder") }
            writeSeeds(target, into: arguments[1])
            exit(0)
        }
        guard !arguments.isEmpty, !arguments.contains(where: { $0.hasPrefix("-") }) else {
            fail(64, "\(usage)\n(this is the replay build; `make fuzz` builds the libFuzzer one)")
        }
        var files: [String] = []
        for argument in arguments {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
                fail(66, "\(target.program): \(argument): no such file or folder")
            }
            if isFolder.boolValue {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: argument) else {
                    fail(66, "\(target.program): \(argument): cannot list the folder")
                }
                files += names.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        var failed = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                fail(66, "\(target.program): \(file): cannot read the file")
            }
            if let failure = target.failure(data) {
                failed += 1
                printError("\(target.program): \(file): \(failure)")
            }
        }
        print("\(target.program): \(files.count) inputs replayed, \(failed) failed")
        exit(failed == 0 ? 0 : 1)
    }

    private static func writeSeeds(_ target: FuzzTarget, into folder: String) {
        let seeds: [Seed]
        do {
            seeds = try target.seeds()
        } catch {
            fail(73, "\(target.program): cannot make the seeds: \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for seed in seeds {
                try Data(seed.bytes).write(to: URL(fileURLWithPath: folder + "/" + seed.name))
            }
        } catch {
            fail(73, "\(target.program): cannot write the seeds into \(folder): \(error.localizedDescription)")
        }
        print("\(target.program): wrote \(seeds.count) seeds into \(folder)")
    }

    private static func fail(_ status: Int32, _ message: String) -> Never {
        printError(message)
        exit(status)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
