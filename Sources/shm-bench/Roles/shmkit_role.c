// shmkit_role: the `c` transport of shm-bench, one side of a measurement as a C program over
// libshmkit, the way a C user would write it, with the arguments, start barrier and output of
// role_harness.h (those of shm-bench's own roles):
//
//     shmkit_role role c SIDE SIZE COUNT --prefix P --channel C --reply-channel R --cpu N --warmup W
//
// Each message carries its sequence number in its first 8 bytes (little-endian), and the reader
// checks every one, as the Swift roles do. Throughput goes through the batch calls, 64 messages
// at a time (shmkit_send_batch, shmkit_receive_batch), as the Swift roles use writeBatch and
// receiveBatch; the round trip sends and receives one message at a time.
//
// Built by `make bench`: cc -O2 shmkit_role.c -I Sources/ShmKitC/include -L DIR -lshmkit.
#include "role_harness.h"

#include "shmkit.h"

enum { BATCH = 64 };

static int fail(const char *call) {
    fprintf(stderr, "shmkit_role: %s: %s\n", call, shmkit_last_error());
    return 1;
}

int main(int argc, char **argv) {
    struct role_args args;
    int usage = role_parse(argc, argv, "c", &args);
    if (usage) return usage;
    if (strcmp(args.transport, "c") != 0) {
        fprintf(stderr, "shmkit_role: unknown transport '%s' (c)\n", args.transport);
        return 64;
    }
    size_t size = args.size;
    uint64_t count = args.count, warmup = args.warmup;
    const char *prefix = *args.prefix ? args.prefix : NULL;
    role_pin(&args);
    shmkit_writer *writer = NULL;
    shmkit_reader *reader = NULL;
    if (args.outbound && shmkit_writer_open(args.outbound, prefix, 0, &writer)) return fail("shmkit_writer_open");
    if (args.inbound && shmkit_reader_open(args.inbound, prefix, 0, &reader)) return fail("shmkit_reader_open");

    unsigned char *buffer = calloc(BATCH, size);
    size_t lengths[BATCH];
    const void *messages[BATCH];
    if (!buffer) return 71;
    memset(buffer, 'x', (size_t)BATCH * size);
    for (int i = 0; i < BATCH; i++) {
        messages[i] = buffer + (size_t)i * size;
        lengths[i] = size;
    }
    role_say_ready();
    role_wait_for_go();

    uint64_t errors = 0;
    if (args.writer) {
        uint64_t start = role_now_ns();
        struct role_pacer pacer = role_pacer_start(args.pace);
        for (uint64_t next = 0; next < count;) {
            // Paced, one message a batch, each when it is due.
            if (args.pace) role_pace(&pacer, next);
            size_t batch = args.pace ? 1 : count - next < BATCH ? (size_t)(count - next) : BATCH;
            for (size_t i = 0; i < batch; i++) role_stamp(buffer + i * size, next + i);
            size_t sent = 0;
            if (shmkit_send_batch(writer, messages, lengths, batch, SHMKIT_FOREVER, &sent)) return fail("shmkit_send_batch");
            next += sent;
        }
        role_print_start(start);
    } else if (args.reader) {
        for (uint64_t expected = 0; expected < count;) {
            size_t most = count - expected < BATCH ? (size_t)(count - expected) : BATCH, got = 0;
            if (shmkit_receive_batch(reader, buffer, (size_t)BATCH * size, lengths, most, &got, SHMKIT_FOREVER))
                return fail("shmkit_receive_batch");
            const unsigned char *message = buffer;
            for (size_t i = 0; i < got; i++, expected++) {
                if (role_sequence(message, (long)lengths[i], size) != expected) errors++;
                message += lengths[i];
            }
        }
        role_print_end(errors);
    } else if (args.pong) {
        for (uint64_t i = 0; i < count + warmup; i++) {
            size_t length = 0;
            if (shmkit_receive(reader, buffer, size, &length, SHMKIT_FOREVER)) return fail("shmkit_receive");
            if (shmkit_send(writer, buffer, length, SHMKIT_FOREVER)) return fail("shmkit_send");
        }
    } else {
        uint64_t *trips = role_trips(count);
        for (uint64_t sequence = 0; sequence < count + warmup; sequence++) {
            uint64_t start = role_now_ns();
            role_stamp(buffer, sequence);
            size_t length = 0;
            if (shmkit_send(writer, buffer, size, SHMKIT_FOREVER)) return fail("shmkit_send");
            if (shmkit_receive(reader, buffer, size, &length, SHMKIT_FOREVER)) return fail("shmkit_receive");
            if (role_sequence(buffer, (long)length, size) != sequence) errors++;
            uint64_t elapsed = role_now_ns() - start;
            if (sequence >= warmup) trips[sequence - warmup] = elapsed;
        }
        role_print_trips(trips, count, errors);
    }
    shmkit_writer_free(writer);
    shmkit_reader_free(reader);
    free(buffer);
    return 0;
}
