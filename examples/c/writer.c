// The seed's writer.c on libshmkit: five messages into a ring channel that shmd serves, each
// printed as the seed prints it. shmd owns the channel: nothing to create, size or unlink, and
// no semaphore to wait on (shmkit_send waits while the channel is full).
//
// usage: writer [CHANNEL [PREFIX]]   (default: channel "demo" of the shmd with prefix "shmd")
#include <stdio.h>
#include <shmkit.h>

#define SHM_SIZE 1024

int main(int argc, char **argv) {
    const char *channel = argc > 1 ? argv[1] : "demo";
    const char *prefix = argc > 2 ? argv[2] : NULL;
    char buffer[SHM_SIZE];
    shmkit_writer *writer;

    // Wait up to 10 s for shmd to create the channel, like shm-writer --wait 10.
    int status = shmkit_writer_open(channel, prefix, 10, &writer);
    if (status != SHMKIT_OK) {
        fprintf(stderr, "writer: %s\n", shmkit_last_error());
        return status;
    }

    for (int i = 0; i < 5; i++) {
        int length = snprintf(buffer, SHM_SIZE, "Message %d from writer", i);
        status = shmkit_send(writer, buffer, (size_t)length, SHMKIT_FOREVER);
        if (status != SHMKIT_OK) {
            fprintf(stderr, "writer: %s\n", shmkit_last_error());
            shmkit_writer_free(writer);
            return status;
        }
        printf("Writer: wrote '%s'\n", buffer);
    }

    shmkit_writer_free(writer); // detaches; the messages stay in the channel for the reader
    return 0;
}
