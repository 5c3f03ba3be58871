import Foundation
import Glibc
import TestSupport
import Testing

/// The man pages (`make man`: swift-argument-parser's generate-manual plugin, into .build/man)
/// and the bash, zsh and fish completion scripts (each executable's
/// `--generate-completion-script`) of the programs, checked against the commands and options the
/// executables of this build have, and where `make install-files` puts them.
///
/// The plugin cannot run inside `swift test` (which holds the build folder's lock): `make test`
/// runs `make man` before the tests, and without it the page tests fail saying so.
@Suite("man pages and shell completions")
struct ManPageAndCompletionTests {
    /// shmd and shm-bridge are daemons that systemd starts: section 8, as the Makefile's
    /// MAN8_PROGRAMS says.
    static let sectionEight: Set<String> = ["shmd", "shm-bridge"]
    static let manOut = PackageRoot.path + "/.build/man"

    static func section(_ program: String) -> Int { sectionEight.contains(program) ? 8 : 1 }

    /// `man<section>/<program>.<section>`, as under a man folder.
    static func page(_ program: String) -> String { "man\(section(program))/\(program).\(section(program))" }

    /// The words of `text`: its runs of letters, digits and hyphens (`--prefix`, `shm-writer`).
    static func words(_ text: String) -> Set<Substring> {
        Set(text.split { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) })
    }

    /// The completion script `program` writes for `shell`, in a file of its own.
    static func script(_ program: String, shell: String) throws -> String {
        let folder = NSTemporaryDirectory() + "shmd-completions-\(getpid())/\(shell)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let generated = try run(Executables.path(program), ["--generate-completion-script", shell], seconds: 20)
        guard generated.status == 0, !generated.stdout.isEmpty else { throw TestFailure("\(program) --generate-completion-script \(shell): \(generated)") }
        let file = folder + "/" + program
        try generated.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// What bash offers from `script` for the command line `program words…`, the cursor at the
    /// end of the last word: the function `complete -p` names is called as bash would.
    static func bashOffers(_ script: String, _ program: String, _ words: [String]) throws -> Set<String> {
        let driver = #"""
            source "$1"; name=$2; shift 2
            spec=$(complete -p "$name") || exit 3
            function=${spec##*-F }; function=${function%% *}
            COMP_WORDS=("$name" "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            "$function" "$name" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\n' "${COMPREPLY[@]}"
            """#
        let result = try run("/bin/bash", ["-c", driver, "bash", script, program] + words, seconds: 20)
        guard result.status == 0 else { throw TestFailure("bash completion of \(program) \(words): \(result)") }
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// What fish offers from `script` for the command line `line` (`complete -C`), each
    /// completion without its description.
    static func fishOffers(_ script: String, _ line: String) throws -> Set<String> {
        let result = try run("/usr/bin/fish", ["--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script, line], seconds: 20)
        guard result.status == 0 else { throw TestFailure("fish completion of '\(line)': \(result)") }
        return Set(result.stdout.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) })
    }

    @Test("make man wrote one page for each program, those of daemons (shmd, shm-bridge) in section 8 and the others' in section 1, and none for anything else")
    func pagesMade() throws {
        #expect(Set(["shmd", "shm-writer", "shm-reader", "shm-bench", "shmctl"]).isSubset(of: DocumentedPrograms.all), "\(DocumentedPrograms.all)")
        let files = FileManager.default
        try #require(files.fileExists(atPath: Self.manOut), "no \(Self.manOut): `make man` writes it (make test runs it before the tests)")
        let made = try ["man1", "man8"].flatMap { section in try files.contentsOfDirectory(atPath: Self.manOut + "/" + section).map { section + "/" + $0 } }
        #expect(Set(made) == Set(DocumentedPrograms.all.map(Self.page)))
    }

    @Test(
        "man -l renders each page at 80 columns without a complaint: its name and section, every shown subcommand and long option, each example of --help on a line of its own",
        arguments: DocumentedPrograms.all)
    func pageRenders(program: String) throws {
        let page = Self.manOut + "/" + Self.page(program)
        try #require(FileManager.default.fileExists(atPath: page), "no \(page): `make man` writes it (make test runs it before the tests)")
        let rendered = try run("/usr/bin/man", ["-l", "-P", "cat", page], environment: ["MANWIDTH": "80"], seconds: 30)
        #expect(rendered.status == 0, "man -l \(page): \(rendered)")
        // groff's mdoc warns of the empty line between two paragraphs of a discussion, which the
        // plugin writes as it is; any other warning is a fault of the page.
        let complaints = rendered.stderr.split(separator: "\n").filter { !$0.hasPrefix("mdoc warning: Empty input line") }
        #expect(complaints.isEmpty, "man -l \(page): \(complaints)")
        let text = rendered.stdout
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(text.hasPrefix("\(program.uppercased())(\(Self.section(program)))"), "\(text.prefix(200))")
        let named = lines.contains { $0.hasPrefix("\(program) — ") }
        #expect(named, "no NAME line for \(program):\n\(text)")
        let words = Self.words(text)
        let tree = try CommandTree.of(program)
        for (path, command) in tree.shownCommands {
            let name = ([program] + path).joined(separator: " ")
            if let last = path.last {
                let named = words.contains(Substring(last))
                #expect(named, "\(page) does not name the subcommand \(name)")
            }
            let missing = command.longOptions.filter { !words.contains(Substring($0)) }
            #expect(missing.isEmpty, "\(page) does not have \(missing.sorted()) of \(name) (or it is older than \(program): make man)")
            let help = try run(Executables.path(program), path + ["--help"], seconds: 20)
            for example in HelpExamplesTests.examples(in: help.stdout) ?? [] {
                let alone = lines.contains(example)
                // groff breaks a longer line, even inside a word (`node-ex‐porter`), and a reader
                // copies the example broken.
                #expect(
                    alone,
                    """
                    \(page): the example '\(example)' of \(name) is not on a line of its own: at 80 columns an example fits in 71 \
                    characters under the program, 63 under a subcommand (or the page is older than \(program): make man):
                    \(text)
                    """)
            }
        }
    }

    @Test(
        "the bash completion loads (complete -p names its function), and offers each shown command's subcommands and long options, no hidden subcommand",
        arguments: DocumentedPrograms.all)
    func bashCompletion(program: String) throws {
        let script = try Self.script(program, shell: "bash")
        let loaded = try run(
            "/bin/bash",
            ["-c", #"source "$1" && spec=$(complete -p "$2") && echo "$spec" && f=${spec##*-F } && declare -F "${f%% *}""#, "bash", script, program])
        #expect(loaded.status == 0, "source \(script); complete -p \(program): \(loaded)")
        // `complete -o filenames -F _shmctl shmctl`, then the function's name from `declare -F`.
        let lines = loaded.stdout.split(separator: "\n")
        let function = lines.first?.firstMatch(of: #/-F (\S+) /#).map { String($0.1) }
        #expect(lines.first?.hasSuffix(" \(program)") == true && function != nil && lines.last.map(String.init) == function, "\(loaded.stdout)")
        let tree = try CommandTree.of(program)
        for (path, command) in tree.shownCommands {
            let options = try Self.bashOffers(script, program, path + ["--"])
            #expect(command.longOptions.isSubset(of: options), "bash offers \(options.sorted()) for '\(program) \(path.joined(separator: " ")) --'")
            guard command.subcommands?.isEmpty == false else { continue }
            let offered = try Self.bashOffers(script, program, path + [""])
            #expect(
                Set(command.shownSubcommands.map(\.commandName)).isSubset(of: offered),
                "bash offers \(offered.sorted()) after '\(program) \(path.joined(separator: " "))'")
            let hidden = (command.subcommands ?? []).filter { !$0.shouldDisplay }.map(\.commandName)
            #expect(offered.isDisjoint(with: hidden), "bash offers the hidden \(hidden)")
        }
    }

    @Test(
        "the fish completion passes fish -n and offers each shown command's subcommands and long options; the zsh completion passes zsh -n and is #compdef for the program",
        arguments: DocumentedPrograms.all)
    func fishAndZshCompletion(program: String) throws {
        let fish = try Self.script(program, shell: "fish")
        let parsed = try run("/usr/bin/fish", ["--no-config", "-n", fish])
        #expect(parsed.status == 0, "fish -n \(fish): \(parsed)")
        let tree = try CommandTree.of(program)
        for (path, command) in tree.shownCommands {
            let line = ([program] + path).joined(separator: " ")
            let options = try Self.fishOffers(fish, line + " --")
            #expect(command.longOptions.isSubset(of: options), "fish offers \(options.sorted()) for '\(line) --'")
            let subcommands = Set(command.shownSubcommands.map(\.commandName))
            if !subcommands.isEmpty {
                let offered = try Self.fishOffers(fish, line + " ")
                #expect(subcommands.isSubset(of: offered), "fish offers \(offered.sorted()) after '\(line)'")
            }
        }
        let zsh = try Self.script(program, shell: "zsh")
        let checked = try run("/usr/bin/zsh", ["-n", zsh])
        #expect(checked.status == 0, "zsh -n \(zsh): \(checked)")
        let first = try String(contentsOfFile: zsh, encoding: .utf8).prefix { $0 != "\n" }
        #expect(first == "#compdef \(program)", "\(zsh) begins with '\(first)'")
    }

    @Test(
        "make install-files puts the man page and the bash, zsh and fish completions of each program it installs where man and the shells look, mode 0644, and none of a program it does not install"
    )
    func stagedInstall() throws {
        let root = try LibShmKit.stage()
        let prefix = root + LibShmKit.prefix
        let files = FileManager.default
        let installed = Set(try files.contentsOfDirectory(atPath: prefix + "/bin"))
        #expect(Set(["shmd", "shm-writer", "shm-reader"]).isSubset(of: installed), "\(installed.sorted())")
        for program in DocumentedPrograms.all {
            let page = prefix + "/share/man/" + Self.page(program)
            let scripts = [
                ("bash", prefix + "/share/bash-completion/completions/\(program)"),
                ("zsh", prefix + "/share/zsh/site-functions/_\(program)"),
                ("fish", prefix + "/share/fish/vendor_completions.d/\(program).fish"),
            ]
            guard installed.contains(program) else {
                for path in [page] + scripts.map(\.1) { #expect(!files.fileExists(atPath: path), "\(path) is installed without \(program)") }
                continue
            }
            #expect(files.contentsEqual(atPath: page, andPath: Self.manOut + "/" + Self.page(program)), "\(page) is not .build/man's")
            for (shell, path) in scripts {
                let generated = try run(Executables.path(program), ["--generate-completion-script", shell], seconds: 20).stdout
                #expect((try? String(contentsOfFile: path, encoding: .utf8)) == generated, "\(path) is not what \(program) generates for \(shell)")
            }
            for path in [page] + scripts.map(\.1) {
                let mode = (try? files.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
                #expect(mode == 0o644, "\(path): mode \(mode.map { String($0, radix: 8) } ?? "none")")
            }
        }
    }

    @Test(
        "each shell finds the staged completions by itself: bash-completion's loader in PREFIX/share (XDG_DATA_DIRS), zsh's compinit in site-functions on fpath, fish's autoloading in vendor_completions.d"
    )
    func shellsFindStaged() throws {
        let root = try LibShmKit.stage()
        let prefix = root + LibShmKit.prefix
        let share = prefix + "/share"
        let programs = DocumentedPrograms.all.filter { FileManager.default.fileExists(atPath: prefix + "/bin/" + $0) }
        #expect(programs.count >= 3, "\(programs)")
        // Neither the machine's nor root's shell configuration takes part.
        let home = NSTemporaryDirectory() + "shmd-completion-home-\(getpid())"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let environment = [
            "XDG_DATA_DIRS": share + ":/usr/share", "HOME": home, "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home,
            "PATH": prefix + "/bin:/usr/bin:/bin",
        ]
        for program in programs {
            // As bash-completion loads a command's completion the first time it is completed.
            let bash = try run(
                "/bin/bash", ["-c", #"source /usr/share/bash-completion/bash_completion; _completion_loader "$1"; complete -p "$1""#, "bash", program],
                environment: environment)
            #expect(bash.status == 0 && bash.stdout.hasSuffix(" \(program)\n"), "bash-completion did not load \(program): \(bash)")
            let zsh = try run(
                "/usr/bin/zsh",
                [
                    "-f", "-c", #"fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- "$_comps[$2]""#, "zsh", share + "/zsh/site-functions",
                    program,
                ],
                environment: environment)
            #expect(zsh.stdout == "_\(program)\n", "zsh's compinit did not find _\(program): \(zsh)")
            let options = try CommandTree.of(program).longOptions
            let fish = try run("/usr/bin/fish", ["-c", "complete -C \"$argv[1] --\"", program], environment: environment)
            let offered = Set(fish.stdout.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) })
            #expect(options.isSubset(of: offered), "fish did not autoload \(program).fish: \(fish)")
        }
    }

    @Test("make uninstall removes the man pages and the completions that make install-files put there")
    func uninstall() throws {
        let root = NSTemporaryDirectory() + "shmd-docs-stage-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let make = ["-s", "-C", PackageRoot.path, "DESTDIR=\(root)", "BUILT=\(Executables.directory)", "PREFIX=/usr/local"]
        let install = try run("/usr/bin/make", make + ["install-files"], seconds: 120)
        try #require(install.status == 0, "make install-files: \(install)")
        let share = root + "/usr/local/share"
        let docs = { () -> [String] in
            ["man/man1", "man/man8", "bash-completion/completions", "zsh/site-functions", "fish/vendor_completions.d"].flatMap { folder in
                ((try? FileManager.default.contentsOfDirectory(atPath: share + "/" + folder)) ?? []).map { folder + "/" + $0 }
            }
        }
        #expect(docs().contains("man/man8/shmd.8") && docs().contains("bash-completion/completions/shmd"), "\(docs())")
        let uninstall = try run("/usr/bin/make", make + ["uninstall"], seconds: 120)
        #expect(uninstall.status == 0, "make uninstall: \(uninstall)")
        #expect(docs().isEmpty, "left after make uninstall: \(docs())")
    }
}
