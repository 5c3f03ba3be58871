import Foundation
import TestSupport
import Testing

/// What a message tells a user to run must run: every string literal in Sources/ is read, and in
/// it each backquoted command line (`systemctl restart shmd`, `rm /dev/shm/…`) must name a
/// program that exists, and each `--option` must be one that a program accepts. Messages once
/// recommended `shmctl clean`, and there is no shmctl yet.
///
/// In a message, backquotes mark a command line and nothing else: a key or a file is named
/// without them.
@Suite("messages name only commands and options that exist")
struct MessageCommandTests {
    /// A string literal of a file in Sources/, where it is.
    struct Message: CustomStringConvertible {
        let file: String
        let literal: SwiftStringLiteral
        var description: String { "\(file):\(literal.line): \(literal.text.debugDescription)" }
    }

    /// One command of a backquoted command line (`a && b` holds two): its program and its words.
    struct Command {
        let program: String
        let words: [Substring]
        let message: Message
        var text: String { ([Substring(program)] + words).joined(separator: " ") }
    }

    /// Every string literal of every Swift file under Sources/.
    static let messages: [Message] = {
        let root = PackageRoot.path
        let files = (FileManager.default.enumerator(atPath: root + "/Sources")?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".swift") }.sorted()
        return files.flatMap { file -> [Message] in
            let source = (try? String(contentsOfFile: root + "/Sources/" + file, encoding: .utf8)) ?? ""
            return SwiftStringLiteral.all(in: source).map { Message(file: "Sources/" + file, literal: $0) }
        }
    }()

    /// The text between each pair of backquotes in `text`.
    static func quoted(_ text: String) -> [Substring] {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
    }

    /// `text` without what stands between backquotes.
    static func unquoted(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 0, to: parts.count, by: 2).map { String(parts[$0]) }.joined(separator: " ")
    }

    /// The commands of a command line: split at `&&`, `||`, `|` and `;`, each without the
    /// `NAME=value` assignments before its program.
    static func commands(_ line: Substring, in message: Message) -> [Command] {
        var segments = [String(line)]
        for separator in ["&&", "||", "|", ";"] {
            segments = segments.flatMap { $0.components(separatedBy: separator) }
        }
        return segments.compactMap { segment in
            var words = segment.split(whereSeparator: \.isWhitespace)
            while let first = words.first, isAssignment(first) { words.removeFirst() }
            guard let program = words.first else { return nil }
            return Command(program: String(program), words: Array(words.dropFirst()), message: message)
        }
    }

    static func isAssignment(_ word: Substring) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        return word[..<equals].allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// The long options `text` names: each `--name` that does not continue a word
    /// (`--prefix`, `--timeout=5` and `(--wait)` do, `a--b` does not).
    static func longOptions(_ text: some StringProtocol) -> [String] {
        text.split { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }
            .filter { $0.hasPrefix("--") && $0.dropFirst(2).first.map { $0.isLowercase } == true }
            .map { String($0.prefix { $0 != "=" }) }
    }

    /// The package's executables, as Package.swift declares them (`.executableTarget(name: …`).
    static let executables: [String] = {
        let manifest = (try? String(contentsOfFile: PackageRoot.path + "/Package.swift", encoding: .utf8)) ?? ""
        return manifest.components(separatedBy: ".executableTarget(").dropFirst().compactMap { target in
            guard let name = target.range(of: "name: \"") else { return nil }
            return String(target[name.upperBound...].prefix { $0 != "\"" })
        }
    }()

    /// Each backquoted command of every message.
    static var allCommands: [Command] {
        messages.flatMap { message in quoted(message.literal.text).flatMap { commands($0, in: message) } }
    }

    /// Of `programs` (names or paths), those that are neither on PATH (the sbin folders
    /// included: some advice is for root) nor a shell builtin such as `ulimit`.
    static func missing(_ programs: Set<String>) throws -> Set<String> {
        guard !programs.isEmpty else { return [] }
        let script = #"PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; for p; do command -v -- "$p" >/dev/null 2>&1 || echo "$p"; done"#
        let result = try run("/bin/sh", ["-c", script, "sh"] + programs.sorted(), seconds: 20)
        guard result.status == 0 else { throw TestFailure("the PATH check failed: \(result)") }
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    @Test("every backquoted command in a message runs a program that exists: on PATH, a shell builtin, or one of the package's")
    func programsExist() throws {
        var problems: [String] = []
        for message in Self.messages where message.literal.text.filter({ $0 == "`" }).count % 2 == 1 {
            problems.append("\(message): unbalanced backquotes (keep a command line within one literal)")
        }
        let commands = Self.allCommands
        var system: [String: [Command]] = [:]
        for command in commands where !command.program.contains(SwiftStringLiteral.interpolation) {
            if Self.executables.contains(command.program) {
                if !FileManager.default.isExecutableFile(atPath: Executables.path(command.program)) {
                    problems.append("\(command.message): `\(command.text)`: \(command.program) is not built in \(Executables.directory)")
                }
            } else {
                system[command.program, default: []].append(command)
            }
        }
        for program in try Self.missing(Set(system.keys)).sorted() {
            for command in system[program] ?? [] {
                problems.append("\(command.message): `\(command.text)`: there is no command \(program)")
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
        // The check looks at something: the sources do recommend commands, of both kinds.
        #expect(Self.messages.count > 500, "only \(Self.messages.count) literals in \(PackageRoot.path)/Sources")
        #expect(commands.count >= 15)
        #expect(!system.isEmpty && commands.contains { Self.executables.contains($0.program) })
        #expect(Set(["shmd", "shm-writer", "shm-reader", "shm-bench"]).isSubset(of: Self.executables), "\(Self.executables)")
    }

    /// The long options of one of the package's executables, its subcommands' included.
    ///
    /// The ArgumentParser commands print their help as JSON with `--experimental-dump-help`: the
    /// options of `--help`, exactly, and those of hidden subcommands (`shm-bench role`, which
    /// shm-bench starts itself) too. The others (the fuzz targets' replay programs) print a
    /// usage line for `--help`, whose options count.
    static func options(of executable: String) throws -> Set<String> {
        let path = Executables.path(executable)
        guard FileManager.default.isExecutableFile(atPath: path) else { throw TestFailure("\(executable) is not built at \(path)") }
        let dump = try run(path, ["--experimental-dump-help"], seconds: 20)
        if dump.status == 0,
            let json = try? JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any],
            let command = json["command"] as? [String: Any]
        {
            return longNames(command)
        }
        let help = try run(path, ["--help"], seconds: 20)
        let usage = (help.stdout + help.stderr).split(separator: "\n").filter { $0.lowercased().hasPrefix("usage:") }
        return Set(usage.flatMap { longOptions($0) })
    }

    /// The long names of the options of a command in ArgumentParser's help JSON, and of its
    /// subcommands.
    static func longNames(_ command: [String: Any]) -> Set<String> {
        var names: Set<String> = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                if let text = name["name"] as? String { names.insert("--" + text) }
            }
        }
        for subcommand in command["subcommands"] as? [[String: Any]] ?? [] {
            names.formUnion(longNames(subcommand))
        }
        return names
    }

    /// The long options another program's help names (`PROGRAM --help`, or bash's `help` for a
    /// builtin).
    static func helpOptions(of program: String) throws -> Set<String> {
        let path = try run("/bin/sh", ["-c", #"PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; command -v -- "$1""#, "sh", program]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let help = path.hasPrefix("/") ? try run(path, ["--help"], seconds: 20) : try run("/bin/bash", ["-c", "help \(program)"], seconds: 20)
        return Set(longOptions(help.stdout + help.stderr))
    }

    @Test("every --option in a message is accepted by the program of its command line, or else by one of the package's executables or role scripts")
    func optionsExist() throws {
        var accepted: [String: Set<String>] = [:]
        for executable in Self.executables { accepted[executable] = try Self.options(of: executable) }
        var anyOfOurs = accepted.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        // shm-bench starts its Python roles with options of their own.
        let roles = try run("/usr/bin/env", ["python3", PackageRoot.path + "/python/bench/roles.py", "--help"], seconds: 20)
        #expect(roles.status == 0, "python/bench/roles.py --help: \(roles.stderr)")
        anyOfOurs.formUnion(Self.longOptions(roles.stdout))
        // And its C and C++ role programs (Sources/shm-bench/Roles) with theirs, which their
        // sources and their shared harness (role_harness.h) name.
        let rolesFolder = PackageRoot.path + "/Sources/shm-bench/Roles"
        for file in try FileManager.default.contentsOfDirectory(atPath: rolesFolder) where [".c", ".cpp", ".h"].contains(where: { file.hasSuffix($0) }) {
            anyOfOurs.formUnion(Self.longOptions(try String(contentsOfFile: rolesFolder + "/" + file, encoding: .utf8)))
        }
        // And iceoryx's daemon, which it starts for the iceoryx rows (when installed).
        if (try? Self.missing(["iox-roudi"]))?.isEmpty == true { anyOfOurs.formUnion(try Self.helpOptions(of: "iox-roudi")) }
        // And nats-server, which shm-bench bridge starts (-js, --ports_file_dir ...).
        if (try? Self.missing(["nats-server"]))?.isEmpty == true { anyOfOurs.formUnion(try Self.helpOptions(of: "nats-server")) }
        var problems: [String] = []
        var checked = 0
        for message in Self.messages {
            for option in Self.longOptions(Self.unquoted(message.literal.text)) {
                checked += 1
                if !anyOfOurs.contains(option) {
                    problems.append("\(message): \(option) is no option of \(Self.executables.joined(separator: ", "))")
                }
            }
            for line in Self.quoted(message.literal.text) {
                for command in Self.commands(line, in: message) {
                    for option in Self.longOptions(command.words.joined(separator: " ")) {
                        checked += 1
                        let known =
                            command.program.contains(SwiftStringLiteral.interpolation)
                            ? anyOfOurs
                            : try accepted[command.program] ?? Self.helpOptions(of: command.program)
                        if !known.contains(option) {
                            problems.append("\(message): `\(command.text)`: \(command.program) has no option \(option)")
                        }
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
        // The check looks at something: messages name options, and the help was read.
        #expect(checked >= 20)
        #expect(accepted["shmd"]?.isSuperset(of: ["--config", "--check-config", "--reload"]) == true, "\(accepted)")
        #expect(accepted["shm-bench"]?.contains("--reply-channel") == true, "\(accepted)")
    }

    @Test("the literal scanner reads Swift as the compiler does: comments, escapes, interpolations, multi-line and raw literals")
    func scanner() {
        let source = ##"""
            // "not a literal" in a comment
            /* nor "this" /* nested "one" */ */
            let a = "run `rm \(path + "/x")` now"
            let b = """
                one \
                two\n
                """
            let c = #"raw \(no) "quote" \#(yes)"#
            #if DEBUG
            let d = "\u{41}\"\\"
            #endif
            """##
        let found = SwiftStringLiteral.all(in: source)
        let mark = String(SwiftStringLiteral.interpolation)
        #expect(found.map(\.text) == ["run `rm \(mark)` now", "/x", "    one     two\n\n    ", "raw \\(no) \"quote\" \(mark)", "A\"\\"])
        #expect(found.map(\.line) == [3, 3, 4, 8, 10])
        #expect(Self.longOptions("(--prefix)? --timeout=5, a--b, --, --Bad -x") == ["--prefix", "--timeout"])
        #expect(
            Self.commands("chgrp g f && chmod 0640 f", in: Message(file: "", literal: SwiftStringLiteral(line: 1, text: ""))).map(\.program) == [
                "chgrp", "chmod",
            ])
        #expect(Self.quoted("a `b c` d `e`") == ["b c", "e"])
    }
}
