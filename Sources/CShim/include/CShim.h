#pragma once
#include <semaphore.h>
#include <time.h>

/// sem_clockwait(3) is a GNU extension that Swift's Glibc module does not export.
/// Returns 0 or -1 with errno set, exactly like the libc call.
int cshim_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime);
