// The seed's writer.c: usage seed_writer SHM_NAME SEM_EMPTY SEM_FULL COUNT.
// As in the seed it opens with O_CREAT (the objects exist: shmd made them), waits on `empty`,
// writes "Message i from writer", posts `full`. It does not sleep(1) between messages and does
// not unlink: shmd owns the objects.
#include "shm_sem.h"

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s SHM SEM_EMPTY SEM_FULL COUNT\n", argv[0]); return 64; }
    int count = atoi(argv[4]);
    int shm_fd = shm_open(argv[1], O_CREAT | O_RDWR, 0666);
    if (shm_fd == -1) { perror("shm_open"); return 1; }
    if (ftruncate(shm_fd, sizeof(shm_data)) == -1) { perror("ftruncate"); return 1; }
    shm_data *data = mmap(0, sizeof(shm_data), PROT_WRITE | PROT_READ, MAP_SHARED, shm_fd, 0);
    if (data == MAP_FAILED) { perror("mmap"); return 1; }
    sem_t *sem_empty = sem_open(argv[2], O_CREAT, 0666, 1);
    sem_t *sem_full = sem_open(argv[3], O_CREAT, 0666, 0);
    if (sem_empty == SEM_FAILED || sem_full == SEM_FAILED) { perror("sem_open"); return 1; }
    for (int i = 0; i < count; i++) {
        sem_wait(sem_empty);
        snprintf(data->buffer, SHM_SIZE, "Message %d from writer", i);
        printf("Writer: wrote '%s'\n", data->buffer);
        sem_post(sem_full);
    }
    munmap(data, sizeof(shm_data));
    close(shm_fd);
    sem_close(sem_empty);
    sem_close(sem_full);
    return 0;
}
