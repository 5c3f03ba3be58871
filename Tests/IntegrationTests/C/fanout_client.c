// The C clients of FanoutTests: writers that send numbered, checksummed messages of random
// length at full speed, and readers that check every message they get and say what they saw.
//
// A message: writer id (u32), sequence (u32), then payload bytes derived from both, then the
// FNV-1a hash (u32) of everything before it. A torn message fails the hash.
//
// usage: fanout_client writer PREFIX CHANNEL ID COUNT SEED
//          sends COUNT messages in batches of up to 64 (shmkit_send_batch); prints "sent COUNT"
//        fanout_client reader PREFIX CHANNEL WRITERS FROM
//          FROM is next or oldest; prints "attached" once attached, then reads until shmd closes
//          the channel. Every message is checked: its hash, and that each writer's sequence
//          numbers rise. It prints one line per writer, "writer ID count C first F last L gaps G
//          disorder D" (G: messages missing between the first and the last; D: a sequence at
//          or below the one before), then "received N lost L reported R torn T", where L is
//          shmkit_reader_lost and R the sum of shmkit_reader_take_gap after each batch.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <shmkit.h>

enum { BATCH = 64, MAX_WRITERS = 64 };

static uint32_t fnv(const unsigned char *bytes, size_t length) {
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 16777619u;
    return hash;
}

static int fail(const char *what) {
    fprintf(stderr, "fanout_client: %s: %s\n", what, shmkit_last_error());
    return shmkit_last_error_kind() == SHMKIT_E_NONE ? 70 : 1;
}

static size_t compose(unsigned char *out, size_t limit, uint32_t id, uint32_t seq, uint32_t *state) {
    *state = *state * 1103515245u + 12345u;
    size_t payload = (*state >> 8) % (limit - 12 + 1);
    memcpy(out, &id, 4);
    memcpy(out + 4, &seq, 4);
    for (size_t i = 0; i < payload; i++) out[8 + i] = (unsigned char)(id * 31 + seq + i);
    uint32_t hash = fnv(out, 8 + payload);
    memcpy(out + 8 + payload, &hash, 4);
    return 12 + payload;
}

static int writer(const char *prefix, const char *channel, uint32_t id, uint32_t count, uint32_t seed) {
    shmkit_writer *w;
    if (shmkit_writer_open(channel, prefix, 5, &w) != 0) return fail("shmkit_writer_open");
    size_t limit = shmkit_writer_max_message_size(w);
    if (limit < 12) return fail("slot too small");
    unsigned char *buffer = malloc(limit * BATCH);
    const void *messages[BATCH];
    size_t lengths[BATCH];
    uint32_t state = seed;
    for (uint32_t seq = 0; seq < count;) {
        size_t n = 0;
        for (; n < BATCH && seq + n < count; n++) {
            messages[n] = buffer + n * limit;
            lengths[n] = compose(buffer + n * limit, limit, id, seq + (uint32_t)n, &state);
        }
        // Without a timeout, success means every message of the batch went.
        if (shmkit_send_batch(w, messages, lengths, n, SHMKIT_FOREVER, NULL) != 0) return fail("shmkit_send_batch");
        seq += (uint32_t)n;
    }
    printf("sent %u\n", count);
    shmkit_writer_free(w);
    free(buffer);
    return 0;
}

struct seen {
    uint64_t count, first, last, disorder;
};

static int reader(const char *prefix, const char *channel, int writers, const char *from) {
    if (writers < 1 || writers > MAX_WRITERS) return 64;
    shmkit_reader *r;
    int start = strcmp(from, "oldest") == 0 ? SHMKIT_FROM_OLDEST : SHMKIT_FROM_NEXT;
    if (shmkit_reader_open_from(channel, prefix, 5, start, &r) != 0) return fail("shmkit_reader_open_from");
    printf("attached\n");
    fflush(stdout);
    size_t slot = shmkit_reader_max_message_size(r);
    unsigned char *buffer = malloc(slot * BATCH);
    size_t lengths[BATCH];
    struct seen seen[MAX_WRITERS] = {{0}};
    uint64_t received = 0, torn = 0, reported = 0;
    while (1) {
        size_t count = 0;
        int status = shmkit_receive_batch(r, buffer, slot * BATCH, lengths, BATCH, &count, SHMKIT_FOREVER);
        if (status == SHMKIT_UNAVAILABLE && shmkit_last_error_kind() == SHMKIT_E_CLOSED) break;
        if (status != 0) return fail("shmkit_receive_batch");
        reported += shmkit_reader_take_gap(r);
        unsigned char *message = buffer;
        for (size_t i = 0; i < count; i++) {
            size_t length = lengths[i];
            uint32_t id, seq, hash;
            if (length < 12) {
                torn++;
            } else {
                memcpy(&id, message, 4);
                memcpy(&seq, message + 4, 4);
                memcpy(&hash, message + length - 4, 4);
                int intact = hash == fnv(message, length - 4) && id < (uint32_t)writers;
                for (size_t b = 8; intact && b < length - 4; b++) intact = message[b] == (unsigned char)(id * 31 + seq + (b - 8));
                if (!intact) {
                    torn++;
                } else {
                    struct seen *s = &seen[id];
                    if (s->count == 0) {
                        s->first = seq;
                    } else if (seq <= s->last) {
                        s->disorder++;
                    }
                    s->last = seq;
                    s->count++;
                }
            }
            received++;
            message += length; // back to back, as shmkit_receive_batch copies them
        }
    }
    reported += shmkit_reader_take_gap(r);
    for (int id = 0; id < writers; id++) {
        struct seen *s = &seen[id];
        uint64_t span = s->count ? s->last - s->first + 1 : 0;
        printf("writer %d count %llu first %llu last %llu gaps %llu disorder %llu\n", id, (unsigned long long)s->count,
               (unsigned long long)s->first, (unsigned long long)s->last,
               (unsigned long long)(span > s->count ? span - s->count : 0), (unsigned long long)s->disorder);
    }
    printf("received %llu lost %llu reported %llu torn %llu\n", (unsigned long long)received,
           (unsigned long long)shmkit_reader_lost(r), (unsigned long long)reported, (unsigned long long)torn);
    shmkit_reader_free(r);
    free(buffer);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[1], "writer") == 0)
        return writer(argv[2], argv[3], (uint32_t)atoi(argv[4]), (uint32_t)strtoul(argv[5], 0, 10), (uint32_t)strtoul(argv[6], 0, 10));
    if (argc == 6 && strcmp(argv[1], "reader") == 0) return reader(argv[2], argv[3], atoi(argv[4]), argv[5]);
    fprintf(stderr, "usage: fanout_client writer PREFIX CHANNEL ID COUNT SEED | reader PREFIX CHANNEL WRITERS next|oldest\n");
    return 64;
}
