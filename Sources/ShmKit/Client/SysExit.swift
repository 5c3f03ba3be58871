/// Process exit codes from sysexits(3), shared by every shmd executable so that scripts and
/// systemd (`RestartPreventExitStatus=78`) can tell failures apart.
public enum SysExit: Int32, Sendable {
    /// 0, `EX_OK`: done; for a reader, also the channel closed after it printed everything queued.
    case ok = 0
    /// 64, `EX_USAGE`: the command was used wrongly: an unknown option, an invalid channel name,
    /// a timeout that is not a number of seconds.
    case usage = 64
    /// 65, `EX_DATAERR`: the data is wrong: a message larger than a slot or one the layout cannot
    /// carry, an incompatible header, a damaged or truncated channel.
    case dataError = 65
    /// 69, `EX_UNAVAILABLE`: the channel is not there to use: it does not exist, shmd closed it,
    /// or its client table is full.
    case unavailable = 69
    /// 71, `EX_OSERR`: a system call failed in a way no other code describes.
    case osError = 71
    /// 73, `EX_CANTCREAT`: shmd cannot create a channel: /dev/shm is full, or another user's
    /// object is in the way.
    case cannotCreate = 73
    /// 75, `EX_TEMPFAIL`: try again later: a timeout passed, or another shmd with the same prefix
    /// is running.
    case temporaryFailure = 75
    /// 77, `EX_NOPERM`: permission denied: the user may not open the channel's objects.
    case permissionDenied = 77
    /// 78, `EX_CONFIG`: shmd's configuration is invalid. The unit does not restart shmd on it
    /// (`RestartPreventExitStatus=78`).
    case config = 78
}
