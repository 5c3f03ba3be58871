import CShim
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A 32-bit word of a shared mapping used as a futex: the one blocking primitive that wakes
/// every sleeper at once, which a fan-out channel's readers need (a semaphore post wakes one).
///
/// The word is the low half of a slot's 64-bit sequence (`Ring.sequenceWord`), so a reader
/// sleeps on exactly the slot it waits for and a writer wakes exactly the readers of the slot it
/// published. Shared (not `FUTEX_PRIVATE_FLAG`) because waker and sleeper are other processes.
package enum Futex {
    /// Sleeps while `*word == expected`, until woken, `deadline`, or a signal.
    ///
    /// The kernel compares and enqueues atomically with respect to `wakeAll`: a wake that comes
    /// after the word changed is never missed, since then the comparison fails (`EAGAIN`) and the
    /// call returns at once.
    ///
    /// - Returns: `false` when the deadline passed; `true` when woken or when the word had already
    ///   changed. Either way the caller looks again: a wake-up is news, never a message.
    /// - Throws: `SystemCallError` for `futex` (`EINTR` once a termination signal is pending;
    ///   otherwise it is retried, the deadline being absolute).
    package static func wait(on word: UnsafePointer<UInt32>, expected: UInt32, until deadline: Deadline, object: String) throws -> Bool {
        if ClientSignals.isTerminating { throw SystemCallError(call: "futex", object: object, errno: .interrupted) }
        var spec = deadline.timespec
        do {
            try Syscall.check(call: "futex", object: object) { cshim_futex_wait(word, expected, &spec) }
            return true
        } catch let error as SystemCallError where error.errno == .resourceTemporarilyUnavailable {
            return true
        } catch let error as SystemCallError where error.errno == .timedOut {
            return false
        }
    }

    /// Wakes every process sleeping on `word`. A failure is left to the sleepers' slices, as a
    /// failed `sem_post` is (`ChannelHeader.wake`).
    ///
    /// - Throws: `SystemCallError` for `futex`.
    package static func wakeAll(_ word: UnsafePointer<UInt32>, object: String) throws {
        try Syscall.check(call: "futex", object: object) { cshim_futex_wake_all(word) }
    }
}
