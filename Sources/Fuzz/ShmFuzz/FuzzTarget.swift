import Foundation

/// One fuzz target: what it feeds with the input bytes, what it checks, and its seed corpus.
///
/// Every target is a plain function over a byte buffer, so the same code runs under libFuzzer
/// (`make fuzz`), in the replay executables of a normal build, and in `FuzzCorpusTests`.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `HeaderValidation.validate` over the input as a whole segment.
    case header
    /// `ClientTable.records` and every entry's `held` over the input as a client table.
    case clientTable = "client-table"
    /// `HostedChannel.repairDeadClients` over a live channel whose shared state is the input.
    case repair
    /// `ConfigLoader.parse` over the input as text.
    case config

    /// The executable's name, `fuzz-header`; also the name in failure messages.
    package var program: String { "fuzz-" + rawValue }

    /// Feeds one input to the target.
    ///
    /// - Throws: `FuzzFailure` when an invariant does not hold. A crash inside the code under
    ///   test (a trap, a bad access) is not caught: libFuzzer or the sanitizer reports it.
    package func run(_ input: UnsafeRawBufferPointer) throws(FuzzFailure) {
        switch self {
        case .header: try HeaderFuzz.run(input)
        case .clientTable: try ClientTableFuzz.run(input)
        case .repair: try RepairFuzz.run(input)
        case .config: try ConfigFuzz.run(input)
        }
    }

    /// `run` over `bytes`, the failure returned rather than thrown.
    package func failure(_ bytes: some ContiguousBytes) -> FuzzFailure? {
        // A plain closure: one that throws FuzzFailure through withUnsafeBytes crashes the
        // Swift 6.3.1 compiler (IRGen of the reabstraction thunk).
        bytes.withUnsafeBytes { buffer -> FuzzFailure? in
            do throws(FuzzFailure) {
                try run(buffer)
                return nil
            } catch {
                return error
            }
        }
    }

    /// The seed inputs, built with the library's own writers so that they follow the layout.
    ///
    /// - Throws: `FuzzFailure` when a seed cannot be made (a source file of the config seeds
    ///   is missing).
    package func seeds() throws(FuzzFailure) -> [Seed] {
        switch self {
        case .header: return HeaderFuzz.seeds()
        case .clientTable: return ClientTableFuzz.seeds()
        case .repair: return RepairFuzz.seeds()
        case .config: return try ConfigFuzz.seeds()
        }
    }
}

/// One seed input and the file name it is committed under.
package struct Seed: Sendable {
    package let name: String
    package let bytes: [UInt8]

    package init(_ name: String, _ bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// An invariant of a target that an input broke, with what was expected and what was found.
package struct FuzzFailure: Error, CustomStringConvertible, Sendable {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Throws `FuzzFailure(message)` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
    if !condition { throw FuzzFailure(message()) }
}
