/// How a channel moves its messages, decided once at attach time from the header: exactly one
/// protocol per channel, for the life of the attachment.
///
/// A writer and a reader switch over it on every operation. Each case's payload is a small
/// struct (a ring view and the attachment), and the switch binds it without copying anything
/// that is not already in registers on the hot path.
enum Discipline {
    /// The fast protocol over a ring: atomic cursors, semaphores only to sleep (`FastRing`).
    case fast(FastRing)
    /// The fast protocol with fan-out delivery: every reader reads every message (`FanoutRing`).
    case fanout(FanoutRing)
    /// The seed's semaphore protocol over a ring of N slots (`ClassicRing`).
    case classic(ClassicRing)
    /// The seed's own layout: one 1024-byte buffer holding a C string (`SeedBuffer`).
    case seed(SeedBuffer)
}
