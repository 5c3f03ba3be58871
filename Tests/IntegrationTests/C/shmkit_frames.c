// shmkit_frames: frames between standard input or output and a channel, over libshmkit; the C
// side of the cross-language tests (CrossLanguageTests.swift). A frame is what shm-writer
// --binary reads and shm-reader --binary writes: a 4-byte little-endian length, then that many
// bytes.
//
//     shmkit_frames write CHANNEL PREFIX        each frame of stdin, sent as one message
//     shmkit_frames read CHANNEL PREFIX COUNT   COUNT messages, written to stdout as frames
//
// Both halves use both forms of the API, alternating message by message: the writer sends the
// even-numbered frames with shmkit_send and reads the odd-numbered ones straight into a slot
// (shmkit_claim, shmkit_commit); the reader takes the even-numbered messages with shmkit_receive
// and borrows the odd-numbered ones (shmkit_borrow, shmkit_release).
//
// On a failed call it prints shmkit_last_error() to stderr and exits with the status the call
// returned. A stream that ends inside a frame is 65, naming the missing bytes (as shm-writer
// --binary); a failed write to stdout is 74 (EX_IOERR); bad usage is 64.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmkit.h"

static const char *program = "shmkit_frames";

static int failed(const char *call, int status) {
    fprintf(stderr, "%s: %s: %s\n", program, call, shmkit_last_error());
    return status;
}

// Reads exactly `length` bytes of stdin into `buffer`: how many it got (fewer at the end of the
// stream).
static size_t read_fully(void *buffer, size_t length) {
    return length == 0 ? 0 : fread(buffer, 1, length, stdin);
}

// The end of a stream inside a frame's length (`length` 0) or inside a frame of `length` bytes,
// or a failed read: the status to exit with.
static int truncated(size_t length, size_t missing) {
    if (ferror(stdin)) {
        perror("read");
        return 74;
    }
    fprintf(stderr, "%s: standard input ends inside ", program);
    if (length == 0) fprintf(stderr, "the 4-byte length of a frame");
    else fprintf(stderr, "a frame of %zu bytes", length);
    fprintf(stderr, ": %zu byte%s missing\n", missing, missing == 1 ? " is" : "s are");
    return 65;
}

static int write_frames(shmkit_writer *writer) {
    size_t limit = shmkit_writer_max_message_size(writer);
    unsigned char *buffer = malloc(limit);
    if (buffer == NULL) {
        perror("malloc");
        return 71;
    }
    int status = 0;
    for (unsigned long long index = 0; status == 0; index++) {
        unsigned char header[4];
        size_t got = read_fully(header, 4);
        if (got == 0 && !ferror(stdin)) break;
        if (got < 4) {
            status = truncated(0, 4 - got);
            break;
        }
        size_t length = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 | (size_t)header[3] << 24;
        if (index % 2 == 1 || length > limit) {
            // In place: the frame's bytes go from stdin straight into the claimed slot. A frame
            // longer than the slot is refused by shmkit_commit (65), as shm-writer refuses it.
            void *slot = NULL;
            size_t capacity = 0;
            status = shmkit_claim(writer, &slot, &capacity, SHMKIT_FOREVER);
            if (status != 0) {
                status = failed("shmkit_claim", status);
            } else if (length > capacity) {
                status = failed("shmkit_commit", shmkit_commit(writer, length));
                shmkit_abandon(writer);
            } else if ((got = read_fully(slot, length)) < length) {
                shmkit_abandon(writer);
                status = truncated(length, length - got);
            } else if ((status = shmkit_commit(writer, length)) != 0) {
                status = failed("shmkit_commit", status);
            }
        } else if ((got = read_fully(buffer, length)) < length) {
            status = truncated(length, length - got);
        } else if ((status = shmkit_send(writer, buffer, length, SHMKIT_FOREVER)) != 0) {
            status = failed("shmkit_send", status);
        }
    }
    free(buffer);
    return status;
}

static int write_frame(const void *data, size_t length) {
    unsigned char header[4] = {(unsigned char)length, (unsigned char)(length >> 8), (unsigned char)(length >> 16),
                               (unsigned char)(length >> 24)};
    if (fwrite(header, 1, 4, stdout) != 4 || (length > 0 && fwrite(data, 1, length, stdout) != length)) {
        perror("write");
        return 74;
    }
    return 0;
}

static int read_frames(shmkit_reader *reader, unsigned long long count) {
    size_t capacity = shmkit_reader_max_message_size(reader);
    unsigned char *buffer = malloc(capacity);
    if (buffer == NULL) {
        perror("malloc");
        return 71;
    }
    int status = 0;
    for (unsigned long long index = 0; index < count && status == 0; index++) {
        const void *data = buffer;
        size_t length = 0;
        if (index % 2 == 1) {
            // Borrowed: written out from the slot itself, which is freed after.
            if ((status = shmkit_borrow(reader, &data, &length, SHMKIT_FOREVER)) != 0) {
                status = failed("shmkit_borrow", status);
            } else {
                status = write_frame(data, length);
                int released = shmkit_release(reader);
                if (status == 0 && released != 0) status = failed("shmkit_release", released);
            }
        } else if ((status = shmkit_receive(reader, buffer, capacity, &length, SHMKIT_FOREVER)) != 0) {
            status = failed("shmkit_receive", status);
        } else {
            status = write_frame(data, length);
        }
    }
    if (status == 0 && fflush(stdout) != 0) {
        perror("write");
        status = 74;
    }
    free(buffer);
    return status;
}

int main(int argc, char **argv) {
    static char in[1 << 16], out[1 << 16];
    setvbuf(stdin, in, _IOFBF, sizeof in);
    setvbuf(stdout, out, _IOFBF, sizeof out);
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        shmkit_writer *writer = NULL;
        int status = shmkit_writer_open(argv[2], argv[3], 0, &writer);
        if (status != 0) return failed("shmkit_writer_open", status);
        status = write_frames(writer);
        shmkit_writer_free(writer);
        return status;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long count = argc == 5 ? strtoull(argv[4], &end, 10) : 0;
    if (argc == 5 && strcmp(argv[1], "read") == 0 && errno == 0 && end != argv[4] && *end == '\0' && argv[4][0] != '-') {
        shmkit_reader *reader = NULL;
        int status = shmkit_reader_open(argv[2], argv[3], 0, &reader);
        if (status != 0) return failed("shmkit_reader_open", status);
        status = read_frames(reader, count);
        shmkit_reader_free(reader);
        return status;
    }
    fprintf(stderr, "usage: %s write CHANNEL PREFIX\n       %s read CHANNEL PREFIX COUNT\n", program, program);
    return 64;
}
