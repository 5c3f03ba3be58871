#define _GNU_SOURCE
#include "CShim.h"

int cshim_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    return sem_clockwait(sem, clock, abstime);
}

#include <sched.h>
#include <fcntl.h>
#include <unistd.h>

#include <sys/prctl.h>

int cshim_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int cshim_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

int cshim_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

#include <string.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CSHIM_THREAD_SANITIZER 1
#endif
#endif

#ifdef CSHIM_THREAD_SANITIZER
__attribute__((no_sanitize("thread"))) void cshim_copy_racing(void *destination, const void *source, size_t length) {
    const volatile unsigned char *from = source;
    unsigned char *to = destination;
    for (size_t i = 0; i < length; i++) to[i] = from[i];
}
#else
void cshim_copy_racing(void *destination, const void *source, size_t length) {
    memcpy(destination, source, length);
}
#endif

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>

int cshim_futex_wait(const uint32_t *word, uint32_t expected, const struct timespec *deadline) {
    return (int)syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

int cshim_futex_wake_all(const uint32_t *word) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>

// The handler must be async-signal-safe: it reads this table with atomic loads only, and
// calls mmap(2), a plain system call. Registration writes the length before the base and
// clears the base first, so the handler never pairs a base with another mapping's length.
enum { GUARD_CAPACITY = 16384 };
static struct guarded {
    _Atomic uintptr_t base;
    _Atomic size_t length;
    _Atomic uint64_t faults;
} guarded[GUARD_CAPACITY];
static struct sigaction previous_sigbus;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_install_error;
static uintptr_t guard_page_mask;   // sysconf is not async-signal-safe: read once at install

static void guard_on_sigbus(int signal, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    uintptr_t page_mask = guard_page_mask;
    for (int index = 0; index < GUARD_CAPACITY; index++) {
        uintptr_t base = atomic_load_explicit(&guarded[index].base, memory_order_acquire);
        if (base == 0 || address < base) continue;
        size_t length = atomic_load_explicit(&guarded[index].length, memory_order_relaxed);
        if (address >= base + length) continue;
        // Everything from the faulting page to the end of the mapping: the file was cut there
        // or earlier, and one replacement is cheaper than a fault per page.
        uintptr_t page = address & page_mask;
        void *replaced = mmap((void *)page, base + length - page, PROT_READ | PROT_WRITE,
                              MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (replaced == MAP_FAILED) break;
        atomic_fetch_add_explicit(&guarded[index].faults, 1, memory_order_release);
        return;
    }
    // Not a guarded mapping: what would have happened without the guard.
    if (previous_sigbus.sa_flags & SA_SIGINFO) {
        previous_sigbus.sa_sigaction(signal, info, context);
    } else if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
        previous_sigbus.sa_handler(signal);
    } else {
        // Returning re-executes the access, which faults again and now kills with SIGBUS.
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(SIGBUS, &fallback, NULL);
    }
}

static void guard_install_once(void) {
    guard_page_mask = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = guard_on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_sigbus) != 0) guard_install_error = errno;
}

int cshim_guard_install(void) {
    pthread_once(&guard_once, guard_install_once);
    if (guard_install_error != 0) {
        errno = guard_install_error;
        return -1;
    }
    sigset_t bus;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    return pthread_sigmask(SIG_UNBLOCK, &bus, NULL) == 0 ? 0 : -1;
}

int cshim_guard_register(void *base, size_t length) {
    for (int index = 0; index < GUARD_CAPACITY; index++) {
        uintptr_t expected = 0;
        // Claim a free entry with a placeholder base that no address matches (1 is below any
        // mapping), then publish the real range.
        if (atomic_compare_exchange_strong(&guarded[index].base, &expected, (uintptr_t)1)) {
            atomic_store_explicit(&guarded[index].faults, 0, memory_order_relaxed);
            atomic_store_explicit(&guarded[index].length, length, memory_order_relaxed);
            atomic_store_explicit(&guarded[index].base, (uintptr_t)base, memory_order_release);
            return index;
        }
    }
    return -1;
}

void cshim_guard_unregister(int handle) {
    if (handle < 0 || handle >= GUARD_CAPACITY) return;
    atomic_store_explicit(&guarded[handle].base, 0, memory_order_release);
}

uint64_t cshim_guard_faults(int handle) {
    if (handle < 0 || handle >= GUARD_CAPACITY) return 0;
    return atomic_load_explicit(&guarded[handle].faults, memory_order_acquire);
}
