// The C clients of CAPIFaultTests: writers whose messages carry a checksum, one that is
// SIGKILLed while it holds a claimed slot, and readers that print what they take.
//
// A message is "w<ID> <SEQ> <PAYLOAD> <FNV>" in text: PAYLOAD letters of a random length, FNV
// the FNV-1a hash (8 hex digits) of everything before its space. A torn message fails the check.
//
// usage: shmkit_crash MODE PREFIX CHANNEL [ID COUNT SEED]
//   writer   sends COUNT messages, alternately copied (shmkit_send) and written in place
//            (shmkit_claim/shmkit_commit); exits 0
//   victim   sends COUNT messages likewise, then claims a slot, writes half of message COUNT
//            into it, prints "claimed COUNT" and waits for SIGKILL
//   victim-send  as victim, but tries to send one more message (shmkit_send, same handle)
//            after the claim, prints "send STATUS KIND TEXT", then "claimed" and waits
//   reader   borrows each message, prints it and a newline, releases it; exits 0 at the end of
//            the stream (69, SHMKIT_E_CLOSED)
//   reader-receive  borrows one message, tries to receive one more on the same handle,
//            prints "receive STATUS KIND TEXT" and "holding MESSAGE", and waits for SIGKILL
//   reader-stop  borrows one message, prints "holding MESSAGE", stops itself (SIGSTOP) while
//            it holds it, and once continued releases it and goes on as reader (ShmctlTests)
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <shmkit.h>

static uint32_t fnv(const char *bytes, size_t length) {
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < length; i++) hash = (hash ^ (uint8_t)bytes[i]) * 16777619u;
    return hash;
}

/// Message `seq` of writer `id`, at most `limit` bytes, into `out` (`limit` + 1 bytes, for the
/// NUL snprintf adds); returns its length.
static size_t message(char *out, size_t limit, int id, int seq, unsigned *state) {
    int head = snprintf(out, limit, "w%d %d ", id, seq);
    size_t room = limit - (size_t)head - 9; // " " and 8 hex digits
    *state = *state * 1103515245u + 12345u;
    size_t payload = (*state >> 8) % (room + 1);
    for (size_t i = 0; i < payload; i++) out[head + i] = (char)('a' + (seq + i) % 26);
    size_t body = (size_t)head + payload;
    snprintf(out + body, limit + 1 - body, " %08x", fnv(out, body));
    return body + 9;
}

static int fail(const char *what) {
    fprintf(stderr, "shmkit_crash: %s: %s\n", what, shmkit_last_error());
    return shmkit_last_error_kind() == SHMKIT_E_NONE ? 70 : 1;
}

static int write_messages(shmkit_writer *w, int id, int count, unsigned *state) {
    size_t limit = shmkit_writer_max_message_size(w);
    char text[4096];
    if (limit >= sizeof text) limit = sizeof text - 1;
    for (int seq = 0; seq < count; seq++) {
        if (seq % 2 == 0) {
            size_t length = message(text, limit, id, seq, state);
            if (shmkit_send(w, text, length, SHMKIT_FOREVER) != 0) return fail("shmkit_send");
        } else {
            void *slot;
            size_t capacity;
            if (shmkit_claim(w, &slot, &capacity, SHMKIT_FOREVER) != 0) return fail("shmkit_claim");
            size_t length = message(text, limit, id, seq, state);
            memcpy(slot, text, length);
            if (shmkit_commit(w, length) != 0) return fail("shmkit_commit");
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODE PREFIX CHANNEL [ID COUNT SEED]\n", argv[0]);
        return 64;
    }
    const char *mode = argv[1], *prefix = argv[2], *channel = argv[3];
    int id = argc > 4 ? atoi(argv[4]) : 0, count = argc > 5 ? atoi(argv[5]) : 0;
    unsigned state = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 1;
    char text[4096];

    if (strncmp(mode, "reader", 6) == 0) {
        shmkit_reader *r;
        if (shmkit_reader_open(channel, prefix, 10, &r) != 0) return fail("shmkit_reader_open");
        const void *data;
        size_t length;
        if (strcmp(mode, "reader-receive") == 0) {
            if (shmkit_borrow(r, &data, &length, SHMKIT_FOREVER) != 0) return fail("shmkit_borrow");
            size_t got;
            // Refused: the borrow is the reader's one record for shmd.
            int refused = shmkit_receive(r, text, sizeof text, &got, SHMKIT_FOREVER);
            printf("receive %d %d %s\n", refused, shmkit_last_error_kind(), refused ? shmkit_last_error() : "");
            printf("holding %.*s\n", (int)length, (const char *)data);
            fflush(stdout);
            pause();
            return 1;
        }
        if (strcmp(mode, "reader-stop") == 0) {
            if (shmkit_borrow(r, &data, &length, SHMKIT_FOREVER) != 0) return fail("shmkit_borrow");
            printf("holding %.*s\n", (int)length, (const char *)data);
            fflush(stdout);
            raise(SIGSTOP);
            fwrite(data, 1, length, stdout);
            fputc('\n', stdout);
            if (shmkit_release(r) != 0) return fail("shmkit_release");
        }
        int status;
        while ((status = shmkit_borrow(r, &data, &length, SHMKIT_FOREVER)) == 0) {
            fwrite(data, 1, length, stdout);
            fputc('\n', stdout);
            if (shmkit_release(r) != 0) return fail("shmkit_release");
        }
        if (status != SHMKIT_UNAVAILABLE || shmkit_last_error_kind() != SHMKIT_E_CLOSED) return fail("shmkit_borrow");
        shmkit_reader_free(r);
        return 0;
    }

    shmkit_writer *w;
    if (shmkit_writer_open(channel, prefix, 10, &w) != 0) return fail("shmkit_writer_open");
    int status = write_messages(w, id, count, &state);
    if (status != 0) return status;
    if (strcmp(mode, "writer") == 0) {
        shmkit_writer_free(w);
        return 0;
    }
    // The victim: message `count`, half written into a claimed slot.
    size_t limit = shmkit_writer_max_message_size(w);
    if (limit >= sizeof text) limit = sizeof text - 1;
    size_t length = message(text, limit, id, count, &state);
    void *slot;
    size_t capacity;
    if (shmkit_claim(w, &slot, &capacity, SHMKIT_FOREVER) != 0) return fail("shmkit_claim");
    memcpy(slot, text, length / 2);
    if (strcmp(mode, "victim-send") == 0) {
        // Refused: the claim is the writer's one record for shmd.
        size_t next = message(text, limit, id, count + 1, &state);
        int refused = shmkit_send(w, text, next, SHMKIT_FOREVER);
        printf("send %d %d %s\n", refused, shmkit_last_error_kind(), refused ? shmkit_last_error() : "");
    }
    printf("claimed %d\n", count);
    fflush(stdout);
    pause();
    return 1;
}
