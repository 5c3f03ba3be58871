import Foundation
import ShmFuzz
import Testing

/// The committed seed corpus through each fuzz target once, in the normal build: a change that
/// breaks a target's invariant on a seed fails here, without libFuzzer. Serialized: the repair
/// target rewrites the shared state of its one set of channels on every input.
@Suite("fuzz corpus replay", .serialized)
struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    @Test("every seed of the target passes", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!names.isEmpty, "no seed in \(folder.path): make fuzz-seeds")
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            if let failure = target.failure(data) {
                Issue.record("\(target.program) \(folder.path)/\(name): \(failure)")
            }
        }
    }

    static let regressions = corpus.deletingLastPathComponent().appendingPathComponent("regressions")

    /// Each of these crashed, hung or aborted a target before its bug was fixed (see the README
    /// in Tests/Fuzz/regressions): a held-range overflow, a four-billion-ticket repair, a header
    /// geometry the repair trusted, toml++ assertions on a keyless table header and on `[}`.
    @Test("every input that once found a bug passes", arguments: [FuzzTarget.clientTable, .repair, .config])
    func regressions(_ target: FuzzTarget) throws {
        let folder = Self.regressions.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            if let failure = target.failure(data) {
                Issue.record("\(target.program) \(folder.path)/\(name): \(failure)")
            }
        }
    }

    @Test("the seeds the target writes pass too", arguments: FuzzTarget.allCases)
    func freshSeeds(_ target: FuzzTarget) throws {
        for seed in try target.seeds() {
            if let failure = target.failure(seed.bytes) {
                Issue.record("\(target.program) seed \(seed.name): \(failure)")
            }
        }
    }
}
