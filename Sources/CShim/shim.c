#define _GNU_SOURCE
#include "CShim.h"

int cshim_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    return sem_clockwait(sem, clock, abstime);
}
