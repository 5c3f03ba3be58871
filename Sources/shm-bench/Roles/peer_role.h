// peer_role.h: what the role programs of shm-bench's peers (boost_role.cpp, zmq_role.c,
// mq_role.c) share: the role protocol of shmkit_role.c, with the transport left to each.
//
//     PROGRAM role TRANSPORT SIDE SIZE COUNT --prefix P --channel C --reply-channel R --cpu N
//             --warmup W --capacity K
//
// SIDE is writer, reader, ping or pong. The writer (and ping) sends on the channel C, the reader
// (and pong) receives on it; the round trip comes back on R. K is how many messages a queue
// holds, the shmd ring's slot count unless the peer's own limits say less (shm-bench decides).
// The start barrier is shmkit_role's: one byte to descriptor 10 once attached, one byte read
// from descriptor 11 before the first message; it prints `t0=NS`, `t1=NS errors=N` or
// `p50=NS p99=NS p999=NS errors=N` (CLOCK_MONOTONIC). Every message carries its sequence number
// in its first 8 bytes and the reader checks every one, and that the length is SIZE.
//
// A transport defines the five functions declared below and calls peer_main from main. The
// file is C and C++ (boost_role.cpp includes it), so it keeps to their common subset.
#ifndef PEER_ROLE_H
#define PEER_ROLE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/// One role's parameters, as parsed from its arguments.
struct peer_args {
    const char *program, *transport, *side;
    size_t size;
    uint64_t count, warmup;
    const char *prefix, *channel, *reply;
    int cpu;
    long capacity;
    /// The names this side sends on and receives on (NULL when it does not), as given: each
    /// transport makes its own object names from them and the prefix.
    const char *outbound, *inbound;
};

/// Opens (creating when first) what this side sends on and receives on. Nonzero on failure,
/// after printing why on stderr.
static int peer_open(const struct peer_args *args);
/// Called once both sides are attached, before the first message: the moment the names can go.
static void peer_started(const struct peer_args *args);
/// Sends one message, blocking while the queue is full.
static int peer_send(const void *message, size_t length);
/// Receives one message into buffer (capacity bytes), blocking while there is none; returns its
/// length, or -1 on failure.
static long peer_receive(void *buffer, size_t capacity);
static void peer_close(const struct peer_args *args);

enum { PEER_READY_FD = 10, PEER_GO_FD = 11 };

static uint64_t peer_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int peer_compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t peer_percentile(const uint64_t *sorted, uint64_t count, double p) {
    uint64_t index = (uint64_t)(p / 100.0 * (double)(count - 1) + 0.5);
    return sorted[index < count ? index : count - 1];
}

/// The sequence number of a message, or UINT64_MAX when it has the wrong length: a short or
/// long message counts as an error as a wrong number does.
static uint64_t peer_sequence(const unsigned char *message, long length, size_t size) {
    uint64_t sequence = UINT64_MAX;
    if (length == (long)size) memcpy(&sequence, message, sizeof sequence);
    return sequence;
}

static int peer_main(int argc, char **argv) {
    struct peer_args args;
    memset(&args, 0, sizeof args);
    args.program = argv[0];
    args.channel = "";
    args.reply = "";
    args.prefix = "";
    args.cpu = -1;
    args.capacity = 256;
    if (argc < 7 || strcmp(argv[1], "role") != 0) {
        fprintf(stderr, "usage: %s role TRANSPORT writer|reader|ping|pong SIZE COUNT [--prefix P] [--channel C] "
                        "[--reply-channel R] [--cpu N] [--warmup W] [--capacity K]\n", argv[0]);
        return 64;
    }
    args.transport = argv[2];
    args.side = argv[3];
    args.size = strtoull(argv[4], NULL, 10);
    args.count = strtoull(argv[5], NULL, 10);
    for (int i = 6; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--prefix")) args.prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--channel")) args.channel = argv[i + 1];
        else if (!strcmp(argv[i], "--reply-channel")) args.reply = argv[i + 1];
        else if (!strcmp(argv[i], "--cpu")) args.cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) args.warmup = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--capacity")) args.capacity = atol(argv[i + 1]);
    }
    if (args.size < 16) args.size = 16;
    if (args.capacity < 1) args.capacity = 1;
    const char *side = args.side;
    int writer = !strcmp(side, "writer"), reader = !strcmp(side, "reader");
    int ping = !strcmp(side, "ping"), pong = !strcmp(side, "pong");
    if (!writer && !reader && !ping && !pong) {
        fprintf(stderr, "%s: unknown side '%s' (writer, reader, ping, pong)\n", argv[0], side);
        return 64;
    }
    args.outbound = writer || ping ? args.channel : pong ? args.reply : NULL;
    args.inbound = reader || pong ? args.channel : ping ? args.reply : NULL;

    if (peer_open(&args)) return 1;
    // Pinned after opening: a transport's own threads (ZeroMQ's I/O thread) keep the whole
    // machine, as they would in a program that pins only its own thread.
    if (args.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(args.cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) perror("peer role: sched_setaffinity");
    }
    unsigned char *buffer = (unsigned char *)malloc(args.size);
    if (!buffer) return 71;
    memset(buffer, 'x', args.size);

    unsigned char byte = 1;
    if (write(PEER_READY_FD, &byte, 1) != 1 || read(PEER_GO_FD, &byte, 1) != 1) {
        perror("peer role: the start barrier");
        return 1;
    }
    close(PEER_READY_FD);
    peer_started(&args);

    uint64_t errors = 0, count = args.count, warmup = args.warmup;
    size_t size = args.size;
    if (writer) {
        uint64_t start = peer_now_ns();
        for (uint64_t sequence = 0; sequence < count; sequence++) {
            memcpy(buffer, &sequence, sizeof sequence);
            if (peer_send(buffer, size)) return 1;
        }
        printf("t0=%llu\n", (unsigned long long)start);
    } else if (reader) {
        for (uint64_t expected = 0; expected < count; expected++) {
            long length = peer_receive(buffer, size);
            if (length < 0) return 1;
            if (peer_sequence(buffer, length, size) != expected) errors++;
        }
        printf("t1=%llu errors=%llu\n", (unsigned long long)peer_now_ns(), (unsigned long long)errors);
    } else if (pong) {
        for (uint64_t i = 0; i < count + warmup; i++) {
            long length = peer_receive(buffer, size);
            if (length < 0 || peer_send(buffer, (size_t)length)) return 1;
        }
    } else {
        uint64_t *trips = (uint64_t *)malloc(sizeof(uint64_t) * (count ? count : 1));
        if (!trips) return 71;
        for (uint64_t sequence = 0; sequence < count + warmup; sequence++) {
            uint64_t start = peer_now_ns();
            memcpy(buffer, &sequence, sizeof sequence);
            if (peer_send(buffer, size)) return 1;
            long length = peer_receive(buffer, size);
            if (length < 0) return 1;
            if (peer_sequence(buffer, length, size) != sequence) errors++;
            uint64_t elapsed = peer_now_ns() - start;
            if (sequence >= warmup) trips[sequence - warmup] = elapsed;
        }
        qsort(trips, count, sizeof *trips, peer_compare);
        printf("p50=%llu p99=%llu p999=%llu errors=%llu\n", (unsigned long long)peer_percentile(trips, count, 50),
               (unsigned long long)peer_percentile(trips, count, 99),
               (unsigned long long)peer_percentile(trips, count, 99.9), (unsigned long long)errors);
        free(trips);
    }
    fflush(stdout);
    peer_close(&args);
    free(buffer);
    return 0;
}

#endif
