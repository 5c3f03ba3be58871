// iceoryx_role: the `iceoryx` transport of shm-bench, one side of a measurement as a C program
// over iceoryx 2.0.3's C binding (Debian's libiceoryx-binding-c-dev), publish/subscribe with
// its zero-copy loan API. It takes the arguments of shm-bench's own roles,
//
//     iceoryx_role role iceoryx SIDE SIZE COUNT --prefix P --channel C --reply-channel R
//                  --cpu N --warmup W [--capacity Q]
//
// with the start barrier and output of role_harness.h, which it shares with the other roles.
//
// A channel is the iceoryx service (P, C, "data"); the round trip's pong answers on (P, R,
// "data"). Settings are lossless: the publisher waits for a full subscriber queue
// (ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER, QueueFullPolicy_BLOCK_PRODUCER), the queue holds Q
// chunks (shm-bench passes the slot count of its shmd channels of that size), and no history.
// Every message is a loaned chunk written in place and published; the subscriber takes it,
// checks the sequence number in its first 8 bytes (little-endian) and releases it. As the
// `iceoryx-copy` transport, the subscriber first copies the whole chunk out and checks the copy,
// as shmd's fast reader does: the like-for-like row for a reader that reads what it receives
// (the plain reader touches 8 bytes of the message, so its payload never crosses cores). Subscribers
// busy-poll iox_sub_take_chunk: no waitset, no sleep, a core burnt while waiting, the fastest way
// iceoryx offers.
//
// iceoryx reports a subscription SUBSCRIBED before the publisher delivers to it, and a message
// published in between is lost. So before the barrier the publishing side sends probes (sequence
// PROBE) every millisecond until the parent's go byte comes, which it sends only once every
// subscriber has received a probe and said so; receivers drop probes wherever they meet them.
// Throughput readers may find up to a few probes queued before the first message.
//
// Built by `make iceoryx-role`: cc -O2 iceoryx_role.c -I /usr/include/iceoryx/v2.0.3
// -liceoryx_binding_c -liceoryx_posh -liceoryx_hoofs -liceoryx_platform.
#include "role_harness.h"

#include <errno.h>
#include <poll.h>

#include "iceoryx_binding_c/log.h"
#include "iceoryx_binding_c/publisher.h"
#include "iceoryx_binding_c/runtime.h"
#include "iceoryx_binding_c/subscriber.h"

static const uint64_t PROBE = UINT64_MAX;
// How long a side waits for its peer to connect before it gives up, naming what it waited for.
static const uint64_t CONNECT_TIMEOUT_NS = 30000000000ull;

static uint64_t sequence_of(const void *payload) { return role_sequence(payload, sizeof(uint64_t), sizeof(uint64_t)); }

// Whether the parent's go byte has come, within `timeout_ms`; takes it if so.
static int go_arrived(int timeout_ms) {
    struct pollfd p = {.fd = ROLE_GO_FD, .events = POLLIN};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) {
        perror("iceoryx_role: poll on the start barrier");
        exit(1);
    }
    if (ready <= 0) return 0;
    unsigned char byte;
    if (read(ROLE_GO_FD, &byte, 1) != 1) {
        perror("iceoryx_role: the start barrier (go)");
        exit(1);
    }
    return 1;
}

static const char *allocation_error(enum iox_AllocationResult result) {
    switch (result) {
    case AllocationResult_NO_MEMPOOLS_AVAILABLE: return "no mempool has chunks this large (RouDi's config)";
    case AllocationResult_RUNNING_OUT_OF_CHUNKS: return "the mempool ran out of chunks (RouDi's config: more chunks)";
    case AllocationResult_TOO_MANY_CHUNKS_ALLOCATED_IN_PARALLEL: return "too many chunks loaned at once";
    default: return "allocation failed";
    }
}

// What the reader checks: the chunk itself, or (`copy` given) its copy of all `size` bytes.
static const void *received(const void *chunk, unsigned char *copy, size_t size) {
    if (!copy) return chunk;
    memcpy(copy, chunk, size);
    return copy;
}

// Loans a chunk of `size` bytes, fills it, stamps `sequence` and publishes it; blocks while a
// subscriber's queue is full (WAIT_FOR_CONSUMER).
static void publish(iox_pub_t publisher, uint32_t size, uint64_t sequence, const void *fill) {
    void *chunk = NULL;
    enum iox_AllocationResult result = iox_pub_loan_chunk(publisher, &chunk, size);
    if (result != AllocationResult_SUCCESS) {
        fprintf(stderr, "iceoryx_role: iox_pub_loan_chunk of %u bytes: %s\n", size, allocation_error(result));
        exit(1);
    }
    if (fill) memcpy(chunk, fill, size);
    memcpy(chunk, &sequence, sizeof sequence);
    iox_pub_publish_chunk(publisher, chunk);
}

// Busy-polls for the next chunk; returns it (the caller releases it).
static const void *take(iox_sub_t subscriber) {
    const void *chunk = NULL;
    for (;;) {
        enum iox_ChunkReceiveResult result = iox_sub_take_chunk(subscriber, &chunk);
        if (result == ChunkReceiveResult_SUCCESS) return chunk;
        if (result != ChunkReceiveResult_NO_CHUNK_AVAILABLE) {
            fprintf(stderr, "iceoryx_role: iox_sub_take_chunk failed (%d): too many chunks held\n", (int)result);
            exit(1);
        }
    }
}

// The next chunk that is not a probe (busy-polling; probes are released on the way).
static const void *take_message(iox_sub_t subscriber) {
    for (;;) {
        const void *chunk = take(subscriber);
        if (sequence_of(chunk) != PROBE) return chunk;
        iox_sub_release_chunk(subscriber, chunk);
    }
}

// Waits, with a deadline, until a probe (or any chunk) arrives: from then on nothing published is
// lost to this subscriber. The probe is released.
static void wait_for_probe(iox_sub_t subscriber, const char *service) {
    uint64_t deadline = role_now_ns() + CONNECT_TIMEOUT_NS;
    const void *chunk = NULL;
    while (iox_sub_take_chunk(subscriber, &chunk) != ChunkReceiveResult_SUCCESS) {
        if (role_now_ns() > deadline) {
            fprintf(stderr, "iceoryx_role: no probe from the publisher of %s within 30 s: is its publisher running?\n", service);
            exit(1);
        }
        usleep(100);
    }
    if (sequence_of(chunk) != PROBE) {
        fprintf(stderr, "iceoryx_role: %s: a message (%llu) came before the start barrier\n", service,
                (unsigned long long)sequence_of(chunk));
        exit(1);
    }
    iox_sub_release_chunk(subscriber, chunk);
}

int main(int argc, char **argv) {
    struct role_args args;
    int usage = role_parse(argc, argv, "iceoryx|iceoryx-copy", &args);
    if (usage) return usage;
    int copies = !strcmp(args.transport, "iceoryx-copy");
    if (strcmp(args.transport, "iceoryx") != 0 && !copies) {
        fprintf(stderr, "iceoryx_role: unknown transport '%s' (iceoryx, iceoryx-copy)\n", args.transport);
        return 64;
    }
    if (args.size > UINT32_MAX) {
        fprintf(stderr, "iceoryx_role: size %zu is beyond iceoryx's 32-bit payload size\n", args.size);
        return 64;
    }
    uint32_t size = (uint32_t)args.size;
    uint64_t count = args.count, warmup = args.warmup, queue = (uint64_t)args.capacity;
    const char *prefix = *args.prefix ? args.prefix : "shm-bench", *side = args.side, *channel = args.channel, *reply = args.reply;
    int ping = args.ping, pong = args.pong, writer = args.writer, reader = args.reader;
    role_pin(&args);

    // RouDi refuses a second runtime of the same name, and it also names the runtime's socket
    // in /tmp: the prefix lets shm-bench remove what a killed role leaves there.
    char name[96];
    snprintf(name, sizeof name, "%s-%s-%ld", prefix, side, (long)getpid());
    // Its info lines would go to stdout, where shm-bench reads the figures.
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(name);

    iox_pub_storage_t publisher_storage;
    iox_sub_storage_t subscriber_storage;
    iox_pub_t publisher = NULL;
    iox_sub_t subscriber = NULL;
    if (writer || ping || pong) {
        iox_pub_options_t options;
        iox_pub_options_init(&options);
        options.historyCapacity = 0;
        options.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
        publisher = iox_pub_init(&publisher_storage, prefix, pong ? reply : channel, "data", &options);
    }
    if (reader || ping || pong) {
        iox_sub_options_t options;
        iox_sub_options_init(&options);
        options.queueCapacity = queue;
        options.historyRequest = 0;
        options.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
        subscriber = iox_sub_init(&subscriber_storage, prefix, ping ? reply : channel, "data", &options);
    }

    unsigned char *fill = malloc(size);
    // The reader's own copy of each message, for `iceoryx-copy` (NULL: checked in the chunk).
    unsigned char *copy = copies ? malloc(size) : NULL;
    if (!fill || (copies && !copy)) return 71;
    memset(fill, 'x', size);
    uint64_t errors = 0;
    if (writer) {
        role_say_ready();
        // Probes until the parent's go: it comes once every reader has had one.
        uint64_t deadline = role_now_ns() + CONNECT_TIMEOUT_NS;
        do {
            if (iox_pub_has_subscribers(publisher)) publish(publisher, size, PROBE, NULL);
            if (role_now_ns() > deadline) {
                fprintf(stderr, "iceoryx_role: the readers of %s did not connect within 30 s\n", channel);
                return 1;
            }
        } while (!go_arrived(1));
        uint64_t start = role_now_ns();
        struct role_pacer pacer = role_pacer_start(args.pace);
        for (uint64_t sequence = 0; sequence < count; sequence++) {
            if (args.pace) role_pace(&pacer, sequence);
            publish(publisher, size, sequence, fill);
        }
        role_print_start(start);
    } else if (reader) {
        wait_for_probe(subscriber, channel);
        role_say_ready();
        role_wait_for_go();
        for (uint64_t expected = 0; expected < count; expected++) {
            const void *chunk = take_message(subscriber);
            if (sequence_of(received(chunk, copy, size)) != expected) errors++;
            iox_sub_release_chunk(subscriber, chunk);
        }
        role_print_end(errors);
    } else if (pong) {
        // Echoes every chunk, probes included, so that ping learns both directions connect; ready
        // once the first probe came, echoing on until go.
        int ready = 0;
        uint64_t answered = 0, deadline = role_now_ns() + CONNECT_TIMEOUT_NS;
        for (;;) {
            const void *chunk = NULL;
            if (iox_sub_take_chunk(subscriber, &chunk) == ChunkReceiveResult_SUCCESS) {
                uint64_t sequence = sequence_of(chunk);
                publish(publisher, size, sequence, chunk);
                iox_sub_release_chunk(subscriber, chunk);
                if (!ready) {
                    role_say_ready();
                    ready = 1;
                }
            }
            if (ready && go_arrived(0)) break;
            if (!ready && role_now_ns() > deadline) {
                fprintf(stderr, "iceoryx_role: no probe from ping on %s within 30 s\n", channel);
                return 1;
            }
        }
        while (answered < count + warmup) {
            const void *chunk = take(subscriber);
            uint64_t sequence = sequence_of(chunk);
            publish(publisher, size, sequence, chunk);
            iox_sub_release_chunk(subscriber, chunk);
            if (sequence != PROBE) answered++;
        }
    } else {
        // Probes until one comes back: then both directions deliver.
        uint64_t deadline = role_now_ns() + CONNECT_TIMEOUT_NS;
        for (int answered = 0; !answered;) {
            if (iox_pub_has_subscribers(publisher)) publish(publisher, size, PROBE, NULL);
            for (uint64_t until = role_now_ns() + 1000000; !answered && role_now_ns() < until;) {
                const void *chunk = NULL;
                if (iox_sub_take_chunk(subscriber, &chunk) == ChunkReceiveResult_SUCCESS) {
                    answered = 1;
                    iox_sub_release_chunk(subscriber, chunk);
                }
            }
            if (role_now_ns() > deadline) {
                fprintf(stderr, "iceoryx_role: no answer from pong on %s within 30 s\n", reply);
                return 1;
            }
        }
        role_say_ready();
        role_wait_for_go();
        uint64_t *trips = role_trips(count);
        for (uint64_t sequence = 0; sequence < count + warmup; sequence++) {
            uint64_t start = role_now_ns();
            publish(publisher, size, sequence, fill);
            const void *chunk = take_message(subscriber);
            if (sequence_of(received(chunk, copy, size)) != sequence) errors++;
            iox_sub_release_chunk(subscriber, chunk);
            uint64_t elapsed = role_now_ns() - start;
            if (sequence >= warmup) trips[sequence - warmup] = elapsed;
        }
        role_print_trips(trips, count, errors);
    }
    fflush(stdout);
    if (subscriber) iox_sub_deinit(subscriber);
    if (publisher) iox_pub_deinit(publisher);
    iox_runtime_shutdown();
    free(fill);
    free(copy);
    return 0;
}
