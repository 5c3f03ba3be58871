import ArgumentParser
import ShmCLI
import ShmInspect
import ShmKit

#if canImport(Glibc)
import Glibc
#endif

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove the objects in /dev/shm of channels whose shmd is proven gone, and print each one.",
        discussion: """
            A channel is stale only when the shmd its header names is proven gone: another boot, \
            no such pid, or a pid whose start time is another process's (the rules shmd uses \
            before it adopts a channel). A live channel, a file without shmd's header magic, and \
            a seed layout's objects while their descriptor's shmd lives are never touched. A \
            stopped shmd that will start again needs none of this: it removes or adopts what it \
            left at its next start.

            Examples:
              shmctl gc --dry-run
              shmctl gc --prefix shmd
            """)

    @Option(help: "Only channels under this prefix (default: [daemon] prefix of /etc/shmd/shmd.toml, or every prefix without that file).")
    var prefix: String?

    @Flag(help: "Print what would be removed, and remove nothing.")
    var dryRun = false

    func run() throws {
        let survey = StaleChannels.survey(prefix: prefix ?? DefaultPrefix.read())
        var removed = 0
        var failed: SysExit?
        for stale in survey.stale {
            print("\(dryRun ? "stale" : "removing") channel \(stale.found.channel) (prefix \(stale.found.prefix)): \(stale.reason)")
            for note in stale.kept { print("  kept \(note)") }
            for object in stale.objects {
                if dryRun {
                    print("  would remove \(object.path)")
                    continue
                }
                do {
                    try object.unlink()
                    removed += 1
                    print("  removed \(object.path)")
                } catch let error as SystemCallError where error.errno == .noSuchFileOrDirectory {
                    print("  \(object.path) was already gone")
                } catch let error as SystemCallError {
                    let permission = error.errno == .permissionDenied || error.errno == .notPermitted
                    failed = failed ?? (permission ? .permissionDenied : .osError)
                    let fix = permission ? ": run shmctl gc as root or as the object's owner (`ls -l /dev/shm` shows it)" : ""
                    ClientCommand.writeAll(STDERR_FILENO, "shmctl: cannot remove \(object.path): \(error)\(fix)\n")
                }
            }
        }
        let objects = survey.stale.reduce(0) { $0 + $1.objects.count }
        let summary =
            dryRun
            ? "would remove \(objects) object(s) of \(survey.stale.count) stale channel(s)"
            : "removed \(removed) object(s) of \(survey.stale.count) stale channel(s)"
        print("\(summary); left \(survey.live.count) live channel(s) alone")
        if let failed { throw ExitCode(failed.rawValue) }
    }
}
