// The seed's reader.c on libshmkit: reads five messages from a ring channel that shmd serves
// and prints each as the seed prints it. It may start before the writer: receiving waits.
//
// usage: reader [CHANNEL [PREFIX]]   (default: channel "demo" of the shmd with prefix "shmd")
#include <stdio.h>
#include <stdlib.h>
#include <shmkit.h>

int main(int argc, char **argv) {
    const char *channel = argc > 1 ? argv[1] : "demo";
    const char *prefix = argc > 2 ? argv[2] : NULL;
    shmkit_reader *reader;

    int status = shmkit_reader_open(channel, prefix, 10, &reader);
    if (status != SHMKIT_OK) {
        fprintf(stderr, "reader: %s\n", shmkit_last_error());
        return status;
    }
    // Room for the largest message the channel carries (its slot size).
    size_t capacity = shmkit_reader_max_message_size(reader);
    char *buffer = malloc(capacity);
    if (buffer == NULL) return 71;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < 5; i++) {
        size_t length;
        // Waits until a writer has sent one (69 once shmd closed the channel and it is empty).
        status = shmkit_receive(reader, buffer, capacity, &length, SHMKIT_FOREVER);
        if (status != SHMKIT_OK) {
            fprintf(stderr, "reader: %s\n", shmkit_last_error());
            break;
        }
        printf("Reader: read '%.*s'\n", (int)length, buffer);
    }

    free(buffer);
    shmkit_reader_free(reader);
    return status;
}
