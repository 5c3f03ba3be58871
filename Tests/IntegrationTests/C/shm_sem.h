// The seed's shm_sem.h, with the object names taken from the command line instead of
// #defines so that each test run uses names of its own. Layout and protocol are unchanged.
#ifndef SHM_SEM_H
#define SHM_SEM_H

#include <fcntl.h>
#include <sys/mman.h>
#include <semaphore.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHM_SIZE 1024

typedef struct {
    char buffer[SHM_SIZE];
} shm_data;

#endif
