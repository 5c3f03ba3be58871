import Foundation
import TestSupport
import Testing

/// Every `--help` a user can ask for, of each program and of each subcommand it shows, has an
/// `Examples:` block, and each example runs that command (or one under it) with options it has.
/// The commands come from the executables themselves (`--experimental-dump-help`), so a
/// subcommand added on any branch is checked too.
@Suite("--help has examples")
struct HelpExamplesTests {
    /// The example lines of a help text, without their indentation: the indented lines after a
    /// line `Examples:`, up to the first one that is blank or not indented; `nil` without such a
    /// line.
    static func examples(in help: String) -> [String]? {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "Examples:" }) else { return nil }
        return lines[(start + 1)...].prefix { $0.hasPrefix("  ") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The words after `program` in the command of `example` that runs it (`seq 3 | shm-writer
    /// demo` has two commands), or `nil` when none does.
    static func invocation(of program: String, in example: String) -> [Substring]? {
        var segments = [example]
        for separator in ["&&", "||", "|", ";"] {
            segments = segments.flatMap { $0.components(separatedBy: separator) }
        }
        for segment in segments {
            let words = segment.split(whereSeparator: \.isWhitespace).drop { MessageCommandTests.isAssignment($0) }
            if words.first == Substring(program) { return Array(words.dropFirst()) }
        }
        return nil
    }

    /// The long options among `words`, each without a `=value`.
    static func longOptions(_ words: [Substring]) -> Set<String> {
        Set(words.filter { $0.hasPrefix("--") && $0.count > 2 }.map { String($0.prefix { $0 != "=" }) })
    }

    @Test(
        "each --help, of the program and of each subcommand it shows, has an Examples: block; each example runs that command or one under it, with options it has",
        arguments: DocumentedPrograms.all)
    func examples(program: String) throws {
        let tree = try CommandTree.of(program)
        for (path, _) in tree.shownCommands {
            let name = ([program] + path).joined(separator: " ")
            let help = try run(Executables.path(program), path + ["--help"], seconds: 20)
            #expect(help.status == 0, "\(name) --help: \(help)")
            guard let examples = Self.examples(in: help.stdout), !examples.isEmpty else {
                Issue.record("\(name) --help has no Examples: block:\n\(help.stdout)")
                continue
            }
            for example in examples {
                guard let words = Self.invocation(of: program, in: example) else {
                    Issue.record("\(name) --help: the example '\(example)' does not run \(program)")
                    continue
                }
                let (runs, command) = tree.resolve(words)
                #expect(
                    runs.starts(with: path),
                    "\(name) --help: the example '\(example)' runs \(([program] + runs).joined(separator: " ")), not \(name) or a command under it")
                let unknown = Self.longOptions(words).subtracting(command.acceptedOptions)
                #expect(
                    unknown.isEmpty,
                    "\(name) --help: the example '\(example)' gives \(unknown.sorted()), which \(([program] + runs).joined(separator: " ")) does not take")
            }
        }
    }

    @Test("the examples check finds a block, the command a line runs and an option that does not exist")
    func checkWorks() throws {
        let help = "OVERVIEW: x\n\nExamples:\n  seq 3 | shm-writer demo --wait 10\n  shm-writer demo --message=hi\n\nUSAGE: shm-writer <name>\n"
        let examples = try #require(Self.examples(in: help))
        #expect(examples == ["seq 3 | shm-writer demo --wait 10", "shm-writer demo --message=hi"])
        #expect(Self.invocation(of: "shm-writer", in: examples[0]) == ["demo", "--wait", "10"])
        #expect(Self.invocation(of: "shm-reader", in: examples[0]) == nil)
        #expect(Self.longOptions(["demo", "--message=hi", "--", "-h"]) == ["--message"])
        #expect(Self.examples(in: "OVERVIEW: x\n\nUSAGE: y\n") == nil)
        let writer = try CommandTree.of("shm-writer")
        #expect(Self.longOptions(["--wait", "--no-such-option"]).subtracting(writer.resolve(["demo"]).command.acceptedOptions) == ["--no-such-option"])
        let bench = try CommandTree.of("shm-bench")
        #expect(bench.resolve(["run", "--sizes", "64"]).path == ["run"])
        #expect(bench.resolve(["--sizes", "64"]).command.acceptedOptions.contains("--sizes"), "shm-bench runs shm-bench run when no subcommand is named")
    }
}
