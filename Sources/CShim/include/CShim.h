#pragma once
#include <semaphore.h>
#include <time.h>
#include <stdint.h>
#include <stddef.h>

/// sem_clockwait(3) is a GNU extension that Swift's Glibc module does not export.
/// Returns 0 or -1 with errno set, exactly like the libc call.
int cshim_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime);

/// A spin-wait hint to the CPU (x86 PAUSE, Arm YIELD): lets the sibling hyper-thread run and
/// saves power while a client spins on a cache line the other side will write.
/// Asks the CPU to fetch the cache line at `address` for reading; a hint, never a fault.
static inline void cshim_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

static inline void cshim_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/// Pins the calling process to one CPU (sched_setaffinity(2), a GNU interface). Returns 0 or -1
/// with errno set.
int cshim_pin_to_cpu(int cpu);
/// Sets this thread's timer slack to `nanoseconds` (prctl PR_SET_TIMERSLACK): a paced writer's
/// sleeps then end when asked, not up to 50 µs later. Returns 0, or -1 with errno.
int cshim_set_timer_slack(unsigned long nanoseconds);

/// pipe2(2) with O_CLOEXEC, a GNU interface. Returns 0 or -1 with errno set.
int cshim_pipe_cloexec(int fds[2]);

/// Copies `length` bytes from `source`, which another process or thread may be overwriting at
/// the same moment: a fan-out reader's copy of a slot, which it keeps only if the slot's
/// sequence is unchanged afterwards (a seqlock). memcpy in a normal build; under
/// ThreadSanitizer a byte loop the sanitizer does not instrument, since that race is the
/// protocol's own and the check discards what it tore.
void cshim_copy_racing(void *destination, const void *source, size_t length);

/// futex(2) FUTEX_WAIT_BITSET on a word in shared memory (not FUTEX_PRIVATE: the waker is
/// another process): sleeps while `*word == expected`, until a wake on the same word or the
/// CLOCK_MONOTONIC time `deadline` (NULL: no limit). Returns 0 when woken, or -1 with errno set:
/// EAGAIN (the word no longer held `expected`), ETIMEDOUT, EINTR. glibc has no wrapper.
int cshim_futex_wait(const uint32_t *word, uint32_t expected, const struct timespec *deadline);

/// futex(2) FUTEX_WAKE: wakes every process sleeping in cshim_futex_wait on `word`. Returns how
/// many it woke, or -1 with errno set.
int cshim_futex_wake_all(const uint32_t *word);

#include <stddef.h>
#include <stdint.h>

/// Mapping guard: the daemon and every client map files that anyone with write access can
/// truncate. Touching a page past the new end of a MAP_SHARED mapping raises SIGBUS, which by
/// default kills the process. The guard's SIGBUS handler looks up the faulting address among
/// the registered mappings; for one of them it maps private zero-filled memory over the vanished
/// part (MAP_FIXED), counts the fault for that mapping and returns, so the faulting access
/// completes on memory of no consequence and the owner finds out from the count (or from the
/// file's size) at its next look. A fault outside every registered mapping goes to the handler
/// that was installed before, or kills the process as SIGBUS always did.
///
/// Installs the handler once per process (later calls do nothing) and unblocks SIGBUS in the
/// calling thread: a synchronous signal that is blocked kills the process whatever the handler.
/// Returns 0 or -1 with errno set.
int cshim_guard_install(void);

/// Registers `length` bytes at `base` (page-aligned). Returns a handle for the calls below, or -1
/// when the table of guarded mappings is full (the mapping then works unguarded).
int cshim_guard_register(void *base, size_t length);

/// Forgets a mapping; call before unmapping it.
void cshim_guard_unregister(int handle);

/// How many times a page of this mapping vanished under the process (0: never).
uint64_t cshim_guard_faults(int handle);
/// A compiler barrier, no instruction (atomic_signal_fence): the calling thread's memory accesses
/// stay on their side of it as a signal handler that interrupts this thread sees them.
static inline void cshim_signal_fence(void) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/// The calling thread's identity without a call (on glibc the thread pointer is what
/// pthread_self returns); a register read, so a signal handler may use it.
static inline const void *cshim_thread_pointer(void) {
    return __builtin_thread_pointer();
}

/// Records the calling thread's last error of the C API (libshmkit): `kind` is an
/// `enum shmkit_error_kind` of shmkit.h, `text` the message, copied (cut at 1023 bytes).
/// `shmkit_last_error()` and `shmkit_last_error_kind()` return them; thread-local storage,
/// which Swift cannot declare itself.
void cshim_set_last_error(int kind, const char *text);

/// The terminal size of `fd` (ioctl TIOCGWINSZ, which Swift cannot call: ioctl is variadic).
/// Returns 0, or -1 with errno set.
int cshim_window_size(int fd, unsigned short *rows, unsigned short *columns);

/// Blocks `signals[0..<count]` in the calling thread and returns a signalfd(2) that reads them
/// (non-blocking, close-on-exec), or -1 with errno set: `shmctl watch` waits for a key, a
/// resize and SIGINT/SIGTERM in one poll(2), whatever signal mask it was started with.
int cshim_signal_descriptor(const int *signals, int count);
