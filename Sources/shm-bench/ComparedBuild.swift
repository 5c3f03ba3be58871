import ArgumentParser
import Foundation

/// Whose client code runs a case's writer and reader: this shm-bench's (A) or the one given with
/// `--compare` (B). Everything else about the case is A's: the shmd, its channels and their
/// config, the pinning, the count, the parent that times it.
enum Binary: String, Codable, CaseIterable {
    case a = "A"
    case b = "B"
}

/// Another build of shm-bench whose roles are measured beside this one's (`--compare PATH`): for
/// each shmd transport, the same cases on the same shmd and channels, interleaved round by round,
/// so that an A/B of the client code is taken in one run, on one state of the machine.
///
/// What the two builds share is the role interface: the command line `MeasurementRunner` passes
/// (`role TRANSPORT SIDE SIZE COUNT` and `MeasurementRunner.roleOptions`), the descriptors of
/// `RoleDescriptor`, and the `t0=`, `t1=`, `p50=` values a role prints. It has not changed since
/// b91bfbb (the state before issue 10), so that build's shm-bench runs as B as it is. A program
/// whose `role --help` does not list every option is refused before shmd starts.
struct ComparedBuild {
    let executable: String

    init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isExecutableFile(atPath: path)
        else {
            throw ValidationError("--compare \(path): no executable there (give another build's shm-bench; make bench-ab builds BASE's in .build-ab/)")
        }
        executable = URL(fileURLWithPath: path).standardizedFileURL.path
        let help = try Self.roleHelp(executable)
        if let missing = MeasurementRunner.roleOptions.first(where: { !help.contains($0) }) {
            throw ValidationError(
                "--compare \(path): not a shm-bench whose roles this one can run ('role --help' does not list \(missing)); give the shm-bench of another build of shmd"
            )
        }
    }

    /// What `executable role --help` prints, within 10 seconds, or an error saying what it did instead.
    private static func roleHelp(_ executable: String) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["role", "--help"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ValidationError("--compare \(executable): cannot start it (\(error)); give another build's shm-bench")
        }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw ValidationError("--compare \(executable): 'role --help' did not finish within 10 s; give another build's shm-bench")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ValidationError(
                "--compare \(executable): not a shm-bench ('role --help' exited \(process.terminationStatus)); give another build's shm-bench")
        }
        return text
    }
}
