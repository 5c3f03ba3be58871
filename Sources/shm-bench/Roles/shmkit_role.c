// shmkit_role: the `c` transport of shm-bench, one side of a measurement as a C program over
// libshmkit, the way a C user would write it. It takes the arguments of shm-bench's own roles,
//
//     shmkit_role role c SIDE SIZE COUNT --prefix P --channel C --reply-channel R --cpu N --warmup W
//
// with SIDE writer, reader, ping or pong, and follows the same start barrier: one byte to
// descriptor 10 once attached, then one byte read from descriptor 11 before the first message.
// It prints what the Swift roles print: `t0=NS` (writer), `t1=NS errors=N` (reader), or
// `p50=NS p99=NS p999=NS errors=N` (ping), with CLOCK_MONOTONIC nanoseconds.
//
// Each message carries its sequence number in its first 8 bytes (little-endian), and the reader
// checks every one, as the Swift roles do. Throughput goes through the batch calls, 64 messages
// at a time (shmkit_send_batch, shmkit_receive_batch), as the Swift roles use writeBatch and
// receiveBatch; the round trip sends and receives one message at a time.
//
// Built by `make bench`: cc -O2 shmkit_role.c -I Sources/ShmKitC/include -L DIR -lshmkit.
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmkit.h"

enum { BATCH = 64, READY_FD = 10, GO_FD = 11 };

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int fail(const char *call) {
    fprintf(stderr, "shmkit_role: %s: %s\n", call, shmkit_last_error());
    return 1;
}

static void stamp(unsigned char *message, uint64_t sequence) { memcpy(message, &sequence, sizeof sequence); }

static uint64_t sequence_of(const unsigned char *message, size_t length) {
    uint64_t sequence = UINT64_MAX;
    if (length >= sizeof sequence) memcpy(&sequence, message, sizeof sequence);
    return sequence;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t percentile(const uint64_t *sorted, uint64_t count, double p) {
    uint64_t index = (uint64_t)(p / 100.0 * (double)(count - 1) + 0.5);
    return sorted[index < count ? index : count - 1];
}

static int barrier(void) {
    unsigned char byte = 1;
    if (write(READY_FD, &byte, 1) != 1 || read(GO_FD, &byte, 1) != 1) {
        perror("shmkit_role: the start barrier");
        return 1;
    }
    close(READY_FD);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[1], "role") != 0 || strcmp(argv[2], "c") != 0) {
        fprintf(stderr, "usage: shmkit_role role c writer|reader|ping|pong SIZE COUNT [--prefix P] [--channel C] "
                        "[--reply-channel R] [--cpu N] [--warmup W]\n");
        return 64;
    }
    const char *side = argv[3];
    size_t size = strtoull(argv[4], NULL, 10);
    uint64_t count = strtoull(argv[5], NULL, 10);
    const char *prefix = NULL, *channel = "", *reply = "";
    int cpu = -1;
    uint64_t warmup = 0;
    for (int i = 6; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--prefix")) prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--channel")) channel = argv[i + 1];
        else if (!strcmp(argv[i], "--reply-channel")) reply = argv[i + 1];
        else if (!strcmp(argv[i], "--cpu")) cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = strtoull(argv[i + 1], NULL, 10);
    }
    if (size < 16) size = 16;
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) perror("shmkit_role: sched_setaffinity");
    }
    int writes = !strcmp(side, "writer") || !strcmp(side, "ping") || !strcmp(side, "pong");
    int reads = !strcmp(side, "reader") || !strcmp(side, "ping") || !strcmp(side, "pong");
    int pong = !strcmp(side, "pong");
    shmkit_writer *writer = NULL;
    shmkit_reader *reader = NULL;
    if (writes && shmkit_writer_open(pong ? reply : channel, prefix, 0, &writer)) return fail("shmkit_writer_open");
    if (reads && shmkit_reader_open(pong || !strcmp(side, "reader") ? channel : reply, prefix, 0, &reader))
        return fail("shmkit_reader_open");

    unsigned char *buffer = calloc(BATCH, size);
    size_t lengths[BATCH];
    const void *messages[BATCH];
    if (!buffer) return 71;
    memset(buffer, 'x', (size_t)BATCH * size);
    for (int i = 0; i < BATCH; i++) {
        messages[i] = buffer + (size_t)i * size;
        lengths[i] = size;
    }
    if (barrier()) return 1;

    uint64_t errors = 0;
    if (!strcmp(side, "writer")) {
        uint64_t start = now_ns();
        for (uint64_t next = 0; next < count;) {
            size_t batch = count - next < BATCH ? (size_t)(count - next) : BATCH;
            for (size_t i = 0; i < batch; i++) stamp(buffer + i * size, next + i);
            size_t sent = 0;
            if (shmkit_send_batch(writer, messages, lengths, batch, SHMKIT_FOREVER, &sent)) return fail("shmkit_send_batch");
            next += sent;
        }
        printf("t0=%llu\n", (unsigned long long)start);
    } else if (!strcmp(side, "reader")) {
        for (uint64_t expected = 0; expected < count;) {
            size_t most = count - expected < BATCH ? (size_t)(count - expected) : BATCH, got = 0;
            if (shmkit_receive_batch(reader, buffer, (size_t)BATCH * size, lengths, most, &got, SHMKIT_FOREVER))
                return fail("shmkit_receive_batch");
            const unsigned char *message = buffer;
            for (size_t i = 0; i < got; i++, expected++) {
                if (sequence_of(message, lengths[i]) != expected) errors++;
                message += lengths[i];
            }
        }
        printf("t1=%llu errors=%llu\n", (unsigned long long)now_ns(), (unsigned long long)errors);
    } else if (pong) {
        for (uint64_t i = 0; i < count + warmup; i++) {
            size_t length = 0;
            if (shmkit_receive(reader, buffer, size, &length, SHMKIT_FOREVER)) return fail("shmkit_receive");
            if (shmkit_send(writer, buffer, length, SHMKIT_FOREVER)) return fail("shmkit_send");
        }
    } else {
        uint64_t *trips = malloc(sizeof(uint64_t) * (count ? count : 1));
        if (!trips) return 71;
        for (uint64_t sequence = 0; sequence < count + warmup; sequence++) {
            uint64_t start = now_ns();
            stamp(buffer, sequence);
            size_t length = 0;
            if (shmkit_send(writer, buffer, size, SHMKIT_FOREVER)) return fail("shmkit_send");
            if (shmkit_receive(reader, buffer, size, &length, SHMKIT_FOREVER)) return fail("shmkit_receive");
            if (sequence_of(buffer, length) != sequence) errors++;
            uint64_t elapsed = now_ns() - start;
            if (sequence >= warmup) trips[sequence - warmup] = elapsed;
        }
        qsort(trips, count, sizeof *trips, compare);
        printf("p50=%llu p99=%llu p999=%llu errors=%llu\n", (unsigned long long)percentile(trips, count, 50),
               (unsigned long long)percentile(trips, count, 99), (unsigned long long)percentile(trips, count, 99.9),
               (unsigned long long)errors);
        free(trips);
    }
    shmkit_writer_free(writer);
    shmkit_reader_free(reader);
    free(buffer);
    return 0;
}
