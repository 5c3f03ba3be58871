#define _GNU_SOURCE
#include "CShim.h"

int cshim_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    return sem_clockwait(sem, clock, abstime);
}

#include <sched.h>
#include <fcntl.h>
#include <unistd.h>

int cshim_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int cshim_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
