#pragma once
#include <semaphore.h>
#include <time.h>

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

/// pipe2(2) with O_CLOEXEC, a GNU interface. Returns 0 or -1 with errno set.
int cshim_pipe_cloexec(int fds[2]);

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
