/// Process exit codes from sysexits(3), shared by every shmd executable so that scripts and
/// systemd (`RestartPreventExitStatus=78`) can tell failures apart.
public enum SysExit: Int32, Sendable {
    case ok = 0
    case usage = 64
    case dataError = 65
    case unavailable = 69
    case osError = 71
    case cannotCreate = 73
    case temporaryFailure = 75
    case permissionDenied = 77
    case config = 78
}
