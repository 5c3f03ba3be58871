// The seed's reader.c: usage seed_reader SHM_NAME SEM_EMPTY SEM_FULL COUNT.
#include "shm_sem.h"

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s SHM SEM_EMPTY SEM_FULL COUNT\n", argv[0]); return 64; }
    int count = atoi(argv[4]);
    int shm_fd = shm_open(argv[1], O_RDWR, 0666);
    if (shm_fd == -1) { perror("shm_open"); exit(1); }
    shm_data *data = mmap(0, sizeof(shm_data), PROT_WRITE | PROT_READ, MAP_SHARED, shm_fd, 0);
    if (data == MAP_FAILED) { perror("mmap"); exit(1); }
    sem_t *sem_empty = sem_open(argv[2], 0);
    sem_t *sem_full = sem_open(argv[3], 0);
    if (sem_empty == SEM_FAILED || sem_full == SEM_FAILED) { perror("sem_open"); exit(1); }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < count; i++) {
        sem_wait(sem_full);
        printf("Reader: read '%s'\n", data->buffer);
        sem_post(sem_empty);
    }
    munmap(data, sizeof(shm_data));
    close(shm_fd);
    sem_close(sem_empty);
    sem_close(sem_full);
    return 0;
}
