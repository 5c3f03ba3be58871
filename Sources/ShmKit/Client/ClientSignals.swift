#if canImport(Glibc)
import Glibc
#endif

/// Detaching from channels when the process is told to end (SIGTERM, SIGINT, SIGHUP, SIGPIPE),
/// so that shmd does not log each such client as having died, an explicit opt-in: a library must
/// not take over a program's signals behind its back. `shm-writer` and `shm-reader` call
/// `detachOnTermination()` first thing.
///
/// The process still ends by the signal, with the default action, so its exit status says so
/// (128 + N to a shell); only its client-table entries are freed first. Which ones can be, at
/// whatever instruction the signal arrives, is decided from `AttachmentRegistry`:
///
/// - An attachment between two operations holds nothing: its entry is freed by the handler, with
///   atomics only, and the process ends at once.
/// - Inside an operation the shared state is mid-change (a ticket being taken, a semaphore unit in
///   hand before its ticket is recorded), and no handler can tell from memory how far it got.
///   The handler only notes the signal and returns; a sleep on a semaphore ends with `EINTR`
///   (the handler is installed without `SA_RESTART`), which `Syscall` then no longer retries, and
///   the operation unwinds the normal way: a sleeper takes back its count in `writersWaiting` or
///   `readersWaiting` and its entry's `waiting` flag, a claimed slot is published or freed. At
///   the operation's end the entry is freed and the process ends. So a blocked client exits within
///   a system call's return, and a busy one after the message at hand.
/// - SIGPIPE comes from a write to a pipe nobody reads: the program's output is gone. It ends the
///   process at once; an attachment inside an operation (`shm-reader` printing a message it
///   holds) keeps its entry, and shmd puts that message back for another reader.
/// - A second signal while the first waits for an operation ends the process at once, leaving
///   entries of operations under way to shmd's repair, as a SIGKILL would.
///
/// The handler proves an attachment idle only for attachments of the thread it runs on; others
/// are left to shmd. The commands are single-threaded; a program with threads should keep
/// these signals blocked in every thread but the one that uses its channels.
public enum ClientSignals {
    /// The signals a command-line client ends on.
    public static let terminationSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGPIPE]

    /// Installs the handler for `signals` and unblocks them in the calling thread (a parent may
    /// have left them blocked, as test runners and some supervisors do). A signal the process
    /// started with ignored stays ignored (`nohup`, the background jobs of a script): that was
    /// its parent's wish. Replaces handlers the program had for them. Wraps `sigaction(2)` and
    /// `pthread_sigmask(3)`; it cannot fail.
    ///
    /// - Parameter signals: the signals to handle; the default is ``terminationSignals``.
    public static func detachOnTermination(_ signals: [Int32] = terminationSignals) {
        // Allocated here, never inside the handler.
        _ = AttachmentRegistry.block
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in signals { sigaddset(&handled, signal) }
        for signal in signals {
            var current = sigaction()
            sigaction(signal, nil, &current)
            if let handler = current.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handle
            // While it runs, the others wait: two handlers never detach side by side.
            action.sa_mask = handled
            // No SA_RESTART: a semaphore wait must return EINTR for the operation to unwind.
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// Whether a termination signal arrived during an operation; the process ends as soon as that
    /// operation is over, and until then blocking calls give up with `EINTR`.
    public static var isTerminating: Bool { AttachmentRegistry.pendingSignal.load(ordering: .relaxed) != 0 }

    /// Ends the process by the termination signal that arrived during an operation, if one did:
    /// attachments of the calling thread between operations are detached, the others left to
    /// shmd, then the signal is raised with its default action. For a program whose own blocking
    /// call failed with `EINTR` (`StreamIO`), or that is inside an operation and cannot finish it:
    /// `shm-reader` calls it when printing a message it holds was interrupted, so that the
    /// message is put back rather than lost. Without such a signal it returns at once. The
    /// signal is raised with `raise(3)` after its default action is restored with `sigaction(2)`.
    public static func endIfTerminating() {
        let signal = AttachmentRegistry.pendingSignal.load(ordering: .relaxed)
        if signal != 0 { end(by: signal) }
    }

    private static let handle: @convention(c) (Int32) -> Void = { signal in
        // Async-signal-safe from here on: atomics, and calls POSIX lists as safe.
        let thread = AttachmentRegistry.currentThread
        if AttachmentRegistry.pendingSignal.load(ordering: .relaxed) == 0, signal != SIGPIPE,
            AttachmentRegistry.anyBusy(ownedBy: thread)
        {
            AttachmentRegistry.pendingSignal.store(signal, ordering: .relaxed)
            return // nothing touched that the interrupted code may see, errno included
        }
        end(by: signal)
    }

    /// Detaches the calling thread's idle attachments and dies of `signal`.
    private static func end(by signal: Int32) -> Never {
        AttachmentRegistry.detachIdle(ownedBy: AttachmentRegistry.currentThread)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
        // In a handler the signal is blocked until it returns: unblock it, so that it is
        // delivered now, with its default action.
        var only = sigset_t()
        sigemptyset(&only)
        sigaddset(&only, signal)
        raise(signal)
        pthread_sigmask(SIG_UNBLOCK, &only, nil)
        _exit(128 + signal) // not reached: the default action of each of them ends the process
    }
}
