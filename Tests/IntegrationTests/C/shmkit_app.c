// A C program as a user of libshmkit writes it, built with exactly
// `cc app.c $(pkg-config --cflags --libs shmkit)` (CAPIBuildTests): it sends COUNT messages of
// every length from 0 to the slot size through channel CHANNEL with each way of sending, and
// receives them with each way of receiving, checking every byte. Prints "ok COUNT".
//
// usage: shmkit_app CHANNEL PREFIX COUNT
#include <shmkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char byte_of(size_t message, size_t index) { return (unsigned char)(message * 31 + index * 7); }

static int fail(const char *call) {
    fprintf(stderr, "shmkit_app: %s: %s (kind %d)\n", call, shmkit_last_error(), shmkit_last_error_kind());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) return 64;
    size_t count = (size_t)atol(argv[3]);
    shmkit_writer *writer;
    shmkit_reader *reader;
    if (shmkit_writer_open(argv[1], argv[2], 5, &writer) != SHMKIT_OK) return fail("shmkit_writer_open");
    if (shmkit_reader_open(argv[1], argv[2], 5, &reader) != SHMKIT_OK) return fail("shmkit_reader_open");
    size_t slot_size = shmkit_writer_max_message_size(writer);
    if (slot_size == 0 || slot_size != shmkit_reader_max_message_size(reader)) return fail("max_message_size");
    unsigned char *out = malloc(slot_size * 4), *in = malloc(slot_size * 4);
    size_t lengths[4];
    if (out == NULL || in == NULL) return 1;

    for (size_t m = 0; m < count; m++) {
        size_t length = m % (slot_size + 1);
        for (size_t i = 0; i < length; i++) out[i] = byte_of(m, i);
        // Send: a copy, in place, or a batch of one.
        if (m % 3 == 0) {
            if (shmkit_send(writer, out, length, 5) != SHMKIT_OK) return fail("shmkit_send");
        } else if (m % 3 == 1) {
            void *slot;
            size_t capacity;
            if (shmkit_claim(writer, &slot, &capacity, 5) != SHMKIT_OK) return fail("shmkit_claim");
            if (capacity != slot_size) return fail("claim capacity");
            memcpy(slot, out, length);
            if (shmkit_commit(writer, length) != SHMKIT_OK) return fail("shmkit_commit");
        } else {
            const void *messages[] = {out};
            size_t sent;
            if (shmkit_send_batch(writer, messages, &length, 1, 5, &sent) != SHMKIT_OK || sent != 1) return fail("shmkit_send_batch");
        }
        // Receive: a copy, a borrow, or a batch.
        const unsigned char *got = in;
        size_t got_length = 0, got_count = 0;
        if (m % 4 == 0) {
            if (shmkit_receive(reader, in, slot_size, &got_length, 5) != SHMKIT_OK) return fail("shmkit_receive");
        } else if (m % 4 == 1) {
            const void *data;
            if (shmkit_borrow(reader, &data, &got_length, 5) != SHMKIT_OK) return fail("shmkit_borrow");
            got = data;
        } else {
            if (shmkit_receive_batch(reader, in, slot_size * 4, lengths, 4, &got_count, 5) != SHMKIT_OK || got_count != 1)
                return fail("shmkit_receive_batch");
            got_length = lengths[0];
        }
        if (got_length != length) {
            fprintf(stderr, "message %zu: %zu bytes, expected %zu\n", m, got_length, length);
            return 1;
        }
        for (size_t i = 0; i < length; i++) {
            if (got[i] != byte_of(m, i)) {
                fprintf(stderr, "message %zu: byte %zu differs\n", m, i);
                return 1;
            }
        }
        if (m % 4 == 1 && shmkit_release(reader) != SHMKIT_OK) return fail("shmkit_release");
    }
    printf("ok %zu\n", count);
    free(out);
    free(in);
    shmkit_writer_free(writer);
    shmkit_reader_free(reader);
    return 0;
}
