import Foundation
import TestSupport

/// One command of an executable as swift-argument-parser describes it with
/// `--experimental-dump-help` (what its man page and completion scripts are made from): its
/// name, its options, and its subcommands, each a `CommandTree` too.
struct CommandTree: Decodable, Sendable {
    struct Argument: Decodable, Sendable {
        struct Name: Decodable, Sendable {
            let kind: String
            let name: String
        }

        let names: [Name]?
        let shouldDisplay: Bool
    }

    let commandName: String
    let shouldDisplay: Bool
    let arguments: [Argument]?
    let subcommands: [CommandTree]?
    let defaultSubcommand: String?

    /// `--name` for each long option `--help` shows (`--help` itself included).
    var longOptions: Set<String> {
        Set(
            (arguments ?? []).filter(\.shouldDisplay).flatMap { argument in
                (argument.names ?? []).filter { $0.kind == "long" }.map { "--" + $0.name }
            })
    }

    /// The subcommands a user is shown: neither hidden ones (`shm-bench role`, which shm-bench
    /// starts itself) nor ArgumentParser's own `help`.
    var shownSubcommands: [CommandTree] {
        (subcommands ?? []).filter { $0.shouldDisplay && $0.commandName != "help" }
    }

    /// This command and each shown command under it, with the subcommand names that lead there
    /// from this one (`[]` for this one, `["list"]` for `shmctl list`).
    var shownCommands: [(path: [String], command: CommandTree)] {
        [([], self)] + shownSubcommands.flatMap { sub in sub.shownCommands.map { ([sub.commandName] + $0.path, $0.command) } }
    }

    /// The command that `words` (the words after the executable's name) run, and the path of
    /// subcommand names to it: each leading word that names a subcommand, hidden ones and
    /// `help` included, leads into it.
    func resolve(_ words: [Substring]) -> (path: [String], command: CommandTree) {
        guard let first = words.first, let sub = (subcommands ?? []).first(where: { $0.commandName == first }) else { return ([], self) }
        let rest = sub.resolve(Array(words.dropFirst()))
        return ([sub.commandName] + rest.path, rest.command)
    }

    /// The long options a command line that stops at this command may give: its own, and those
    /// of the subcommand it runs when none is named (`shm-bench` runs `shm-bench run`).
    var acceptedOptions: Set<String> {
        let fallback = (subcommands ?? []).first { $0.commandName == defaultSubcommand }
        return longOptions.union(fallback?.longOptions ?? [])
    }

    /// The tree of `executable` of this build.
    static func of(_ executable: String) throws -> CommandTree {
        let dump = try run(Executables.path(executable), ["--experimental-dump-help"], seconds: 20)
        guard dump.status == 0 else { throw TestFailure("\(executable) --experimental-dump-help: \(dump)") }
        struct ToolInfo: Decodable { let command: CommandTree }
        return try JSONDecoder().decode(ToolInfo.self, from: Data(dump.stdout.utf8)).command
    }
}

/// The programs that have a man page, completion scripts and examples in `--help`: the package's
/// executables (Package.swift's), but the fuzz targets, which are internal and no ArgumentParser
/// commands.
enum DocumentedPrograms {
    static let all: [String] = MessageCommandTests.executables.filter { !$0.hasPrefix("fuzz-") }
}
