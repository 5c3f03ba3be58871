// role_harness.h: what every C role program of shm-bench shares (shmkit_role.c, iceoryx_role.c,
// and the peers boost_role.cpp, zmq_role.c, mq_role.c), so that they measure the same way.
//
//     PROGRAM role TRANSPORT SIDE SIZE COUNT --prefix P --channel C --reply-channel R --cpu N
//             --warmup W [--capacity K] [--pace RATE]
//
// SIDE is writer, reader, ping or pong. The writer (and ping) sends on the channel C, the reader
// (and pong) receives on it; the round trip comes back on R. K is how many messages a queue
// holds (the shmd ring's slot count, unless the peer's own limits say less: shm-bench decides).
// RATE, for a paced run, is messages a second: the writer spaces its sends evenly (role_pacer).
// The start barrier: one byte to descriptor 10 once attached, one byte read from descriptor 11
// before the first message. A role prints `t0=NS` (writer), `t1=NS errors=N` (reader) or
// `p50=NS p99=NS p999=NS errors=N` (ping), CLOCK_MONOTONIC nanoseconds. Every message carries its
// sequence number in its first 8 bytes (little-endian); the reader checks every one, and that
// the length is SIZE.
//
// Programs with a message-at-a-time transport (the peers) fill a struct role_transport and call
// role_run_peer; the others (shmkit's batches, iceoryx's loans and probes) run their own loops
// over the helpers. The header is C and C++ (boost_role.cpp includes it), so it keeps to their
// common subset; everything is static inline, so a program that uses a part compiles no other.
#ifndef ROLE_HARNESS_H
#define ROLE_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { ROLE_READY_FD = 10, ROLE_GO_FD = 11 };

/// One role's parameters, as parsed from its arguments.
struct role_args {
    const char *program, *transport, *side;
    size_t size;
    uint64_t count, warmup;
    const char *prefix, *channel, *reply;
    int cpu;
    long capacity;
    /// Messages a second the writer spaces its sends at; 0 sends flat out.
    uint64_t pace;
    int writer, reader, ping, pong;
    /// The names this side sends on and receives on (NULL when it does not), as given: each
    /// transport makes its own object names from them and the prefix.
    const char *outbound, *inbound;
};

static inline uint64_t role_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/// Parses the arguments above; `transports` is the usage's list of what this program runs.
/// Returns 0, or the exit code (64) after printing the usage.
static inline int role_parse(int argc, char **argv, const char *transports, struct role_args *args) {
    memset(args, 0, sizeof *args);
    args->program = argv[0];
    args->prefix = args->channel = args->reply = "";
    args->cpu = -1;
    args->capacity = 256;
    if (argc < 6 || strcmp(argv[1], "role") != 0) {
        fprintf(stderr, "usage: %s role %s writer|reader|ping|pong SIZE COUNT [--prefix P] [--channel C] "
                        "[--reply-channel R] [--cpu N] [--warmup W] [--capacity K] [--pace RATE]\n", argv[0], transports);
        return 64;
    }
    args->transport = argv[2];
    args->side = argv[3];
    args->size = strtoull(argv[4], NULL, 10);
    args->count = strtoull(argv[5], NULL, 10);
    for (int i = 6; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--prefix")) args->prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--channel")) args->channel = argv[i + 1];
        else if (!strcmp(argv[i], "--reply-channel")) args->reply = argv[i + 1];
        else if (!strcmp(argv[i], "--cpu")) args->cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) args->warmup = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--capacity")) args->capacity = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--pace")) args->pace = strtoull(argv[i + 1], NULL, 10);
    }
    if (args->size < 16) args->size = 16;
    if (args->capacity < 1) args->capacity = 1;
    args->writer = !strcmp(args->side, "writer");
    args->reader = !strcmp(args->side, "reader");
    args->ping = !strcmp(args->side, "ping");
    args->pong = !strcmp(args->side, "pong");
    if (!args->writer && !args->reader && !args->ping && !args->pong) {
        fprintf(stderr, "%s: unknown side '%s' (writer, reader, ping, pong)\n", argv[0], args->side);
        return 64;
    }
    args->outbound = args->writer || args->ping ? args->channel : args->pong ? args->reply : NULL;
    args->inbound = args->reader || args->pong ? args->channel : args->ping ? args->reply : NULL;
    return 0;
}

static inline void role_pin(const struct role_args *args) {
    if (args->cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(args->cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("role: sched_setaffinity");
}

/// The barrier's first half: this side is attached. Exits on failure: the parent is gone.
static inline void role_say_ready(void) {
    unsigned char byte = 1;
    if (write(ROLE_READY_FD, &byte, 1) != 1) {
        perror("role: the start barrier (ready)");
        exit(1);
    }
    close(ROLE_READY_FD);
}

/// The barrier's second half: blocks until the parent's go byte.
static inline void role_wait_for_go(void) {
    unsigned char byte;
    if (read(ROLE_GO_FD, &byte, 1) != 1) {
        perror("role: the start barrier (go)");
        exit(1);
    }
}

/// A paced writer's clock, as shm-bench's own Pacer: message n is due at start + n / rate, so a
/// late wake-up is caught up at once instead of drifting; the writer sleeps (never spins), with a
/// timer slack of 1 ns so that a sleep ends when asked rather than up to 50 µs later.
struct role_pacer {
    uint64_t start;
    double interval;
};

static inline struct role_pacer role_pacer_start(uint64_t rate) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    struct role_pacer pacer = {role_now_ns(), 1e9 / (double)(rate ? rate : 1)};
    return pacer;
}

/// Sleeps until message `index` is due (returns at once when it is).
static inline void role_pace(const struct role_pacer *pacer, uint64_t index) {
    uint64_t due = pacer->start + (uint64_t)((double)index * pacer->interval);
    if (due <= role_now_ns()) return;
    struct timespec time = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
    // EINTR only shortens the sleep: sleep the rest.
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, NULL) == EINTR) {
    }
}

static inline void role_stamp(unsigned char *message, uint64_t sequence) { memcpy(message, &sequence, sizeof sequence); }

/// The sequence number of a message, or UINT64_MAX when it has the wrong length: a short or
/// long message counts as an error as a wrong number does.
static inline uint64_t role_sequence(const void *message, long length, size_t size) {
    uint64_t sequence = UINT64_MAX;
    if (length == (long)size) memcpy(&sequence, message, sizeof sequence);
    return sequence;
}

static inline int role_compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static inline uint64_t role_percentile(const uint64_t *sorted, uint64_t count, double p) {
    uint64_t index = (uint64_t)(p / 100.0 * (double)(count - 1) + 0.5);
    return sorted[index < count ? index : count - 1];
}

/// Room for the round trips of a ping after its warm-up: `count` of them.
static inline uint64_t *role_trips(uint64_t count) {
    uint64_t *trips = (uint64_t *)malloc(sizeof(uint64_t) * (count ? count : 1));
    if (!trips) {
        fprintf(stderr, "role: no memory for %llu round trips\n", (unsigned long long)count);
        exit(71);
    }
    return trips;
}

/// Sorts the round trips and prints the ping's line; frees them.
static inline void role_print_trips(uint64_t *trips, uint64_t count, uint64_t errors) {
    qsort(trips, count, sizeof *trips, role_compare);
    printf("p50=%llu p99=%llu p999=%llu errors=%llu\n", (unsigned long long)role_percentile(trips, count, 50),
           (unsigned long long)role_percentile(trips, count, 99), (unsigned long long)role_percentile(trips, count, 99.9),
           (unsigned long long)errors);
    free(trips);
}

static inline void role_print_start(uint64_t start) { printf("t0=%llu\n", (unsigned long long)start); }

static inline void role_print_end(uint64_t errors) {
    printf("t1=%llu errors=%llu\n", (unsigned long long)role_now_ns(), (unsigned long long)errors);
}

/// A transport that moves one message at a time, for role_run_peer. Each call returns nonzero
/// (receive: -1) on failure, after printing why on stderr.
struct role_transport {
    /// Opens (creating when first) what this side sends on and receives on.
    int (*open)(const struct role_args *args);
    /// Called once both sides are attached, before the first message: the moment names can go.
    void (*started)(const struct role_args *args);
    /// Sends one message, blocking while the queue is full.
    int (*send)(const void *message, size_t length);
    /// Receives one message into buffer (capacity bytes), blocking while there is none; returns
    /// its length.
    long (*receive)(void *buffer, size_t capacity);
    void (*close)(const struct role_args *args);
};

/// The whole role over a message-at-a-time transport: main of the peer programs.
static inline int role_run_peer(int argc, char **argv, const char *transports, const struct role_transport *transport) {
    struct role_args args;
    int usage = role_parse(argc, argv, transports, &args);
    if (usage) return usage;
    if (transport->open(&args)) return 1;
    // Pinned after opening: a transport's own threads (ZeroMQ's I/O thread) keep the whole
    // machine, as they would in a program that pins only its own thread.
    role_pin(&args);
    size_t size = args.size;
    unsigned char *buffer = (unsigned char *)malloc(size);
    if (!buffer) return 71;
    memset(buffer, 'x', size);
    role_say_ready();
    role_wait_for_go();
    transport->started(&args);

    uint64_t errors = 0, count = args.count, warmup = args.warmup;
    if (args.writer) {
        uint64_t start = role_now_ns();
        struct role_pacer pacer = role_pacer_start(args.pace);
        for (uint64_t sequence = 0; sequence < count; sequence++) {
            if (args.pace) role_pace(&pacer, sequence);
            role_stamp(buffer, sequence);
            if (transport->send(buffer, size)) return 1;
        }
        role_print_start(start);
    } else if (args.reader) {
        for (uint64_t expected = 0; expected < count; expected++) {
            long length = transport->receive(buffer, size);
            if (length < 0) return 1;
            if (role_sequence(buffer, length, size) != expected) errors++;
        }
        role_print_end(errors);
    } else if (args.pong) {
        for (uint64_t i = 0; i < count + warmup; i++) {
            long length = transport->receive(buffer, size);
            if (length < 0 || transport->send(buffer, (size_t)length)) return 1;
        }
    } else {
        uint64_t *trips = role_trips(count);
        for (uint64_t sequence = 0; sequence < count + warmup; sequence++) {
            uint64_t start = role_now_ns();
            role_stamp(buffer, sequence);
            if (transport->send(buffer, size)) return 1;
            long length = transport->receive(buffer, size);
            if (length < 0) return 1;
            if (role_sequence(buffer, length, size) != sequence) errors++;
            uint64_t elapsed = role_now_ns() - start;
            if (sequence >= warmup) trips[sequence - warmup] = elapsed;
        }
        role_print_trips(trips, count, errors);
    }
    fflush(stdout);
    transport->close(&args);
    free(buffer);
    return 0;
}

#endif
