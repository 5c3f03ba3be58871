import ShmKit

/// Why `AtomicFile.replace` could not replace a file: the file, the call that failed (on the
/// temporary file, the folder, or the rename), and what to do about it. The file as it was is
/// left in place.
package struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    /// The file that was to be replaced.
    package var file: String
    /// The call that failed, and on what.
    package var failure: SystemCallError

    /// The error of `failure` while replacing `file`.
    package init(file: String, _ failure: SystemCallError) {
        self.file = file
        self.failure = failure
    }

    /// `cannot write FILE: CALL(OBJECT): MESSAGE (errno N): FIX`.
    package var description: String {
        "cannot write \(file): \(failure): \(fix)"
    }

    /// What to do, by the error number.
    package var fix: String {
        let folder = AtomicFile.split(file).folder
        switch failure.errno {
        case .noSuchFileOrDirectory, .notDirectory:
            return "the folder \(folder) does not exist; create it (`mkdir -p \(folder)`) or name a file in an existing folder"
        case .permissionDenied, .notPermitted:
            return "this user may not create files in \(folder) (`ls -ld \(folder)`); run as its owner or as root, "
                + "or name a file in a folder you may write"
        case .readOnlyFileSystem:
            return "\(folder) is read-only here; under systemd with ProtectSystem=strict, list it in ReadWritePaths="
        case .noSpace, .diskQuotaExceeded:
            return "the file system of \(folder) is full (`df -h \(folder)`); free some space"
        case .isDirectory:
            return "\(file) is a folder; name a file in it, such as \(file)/shmd.prom"
        default:
            return "check \(folder) (`ls -ld \(folder)`, `df -h \(folder)`)"
        }
    }

    /// `EX_NOPERM` (77) when permissions refused it, `EX_CANTCREAT` (73) otherwise.
    package var exitCode: SysExit {
        failure.errno == .permissionDenied || failure.errno == .notPermitted ? .permissionDenied : .cannotCreate
    }
}
