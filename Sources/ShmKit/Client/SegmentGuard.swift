/// Protection of a process against a channel segment that someone truncates while it is mapped.
///
/// Anyone who may write a channel's objects may also truncate them, and an access to a page of
/// a mapping whose file was cut raises SIGBUS, which kills a process by default. ShmKit installs
/// a SIGBUS handler with the first mapping it makes: an access to a vanished page then lands on
/// private zero-filled memory, and the next operation on the channel throws
/// `ChannelError.truncated`. Faults outside ShmKit's own mappings go to the handler that was
/// installed before (or to the default action).
public enum SegmentGuard {
    /// Installs the SIGBUS handler now (once per process; later calls do nothing more) and
    /// unblocks SIGBUS in the calling thread.
    ///
    /// A program calls this first thing in `main`, so that the threads it starts later inherit
    /// SIGBUS unblocked, whatever signal mask its parent left it: a blocked synchronous signal
    /// kills the process even with a handler installed. Wraps `sigaction(2)` and
    /// `pthread_sigmask(3)`; it cannot fail.
    public static func install() {
        MappingGuard.install()
    }
}
