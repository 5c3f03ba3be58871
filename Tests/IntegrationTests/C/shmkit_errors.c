// Every failure of libshmkit's C API, one line each, for CAPIErrorTests to check:
//
//     NAME <TAB> STATUS <TAB> KIND <TAB> TEXT      a call (KIND and TEXT are 0 and "" on success)
//     =NAME <TAB> VALUE                             a value the test checks (a length, a count)
//
// usage: shmkit_errors MODE PREFIX [N]
//   errors   the bad arguments, the sizes, the timeouts, closed handles, on channel 'small'
//            (1 slot of 16 bytes) and the unknown channel 'nothing'
//   threads  the last error is per thread
//   access   opening 'small' as a writer and as a reader (run as a user outside its group)
//   closed   a writer sends two messages to 'closing' and prints "ready"; after a line on stdin
//            (the test stopped shmd meanwhile) it sends again, and a reader drains the channel
//   more     a segment of garbage ('garbage'), one of 0 bytes ('zero'), a full client table
//            ('one'), and NUL bytes on the seed layout ('seed')
//   null-entry  a batch with a NULL message of 16 bytes, after a message of 16 bytes
//   leak N   N rounds of failing calls and N/10 opens and frees; RSS and descriptors before/after
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <shmkit.h>

static void line(const char *name, int status) {
    if (status == 0) printf("%s\t0\t0\t\n", name);
    else printf("%s\t%d\t%d\t%s\n", name, status, shmkit_last_error_kind(), shmkit_last_error());
}

static void value(const char *name, long long v) { printf("=%s\t%lld\n", name, v); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// Milliseconds a call took, for the timeouts.
#define TIMED(name, call)                                                                          \
    do {                                                                                           \
        double start_ = now();                                                                     \
        int status_ = (call);                                                                      \
        value(name "_ms", (long long)((now() - start_) * 1000));                                   \
        line(name, status_);                                                                       \
    } while (0)

static int errors(const char *prefix) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    char buffer[64];
    size_t length = 0, sent = 99, count = 99, capacity = 0, lengths[4];
    void *slot = NULL;
    const void *data = NULL;

    // Nothing failed yet.
    value("initial_kind", shmkit_last_error_kind());
    printf("=initial_text\t%s\n", shmkit_last_error());

    // Opening.
    line("writer_open_null_channel", shmkit_writer_open(NULL, prefix, 0, &w));
    line("reader_open_null_channel", shmkit_reader_open(NULL, prefix, 0, &r));
    line("writer_open_null_out", shmkit_writer_open("small", prefix, 0, NULL));
    line("reader_open_null_out", shmkit_reader_open("small", prefix, 0, NULL));
    line("writer_open_invalid_name", shmkit_writer_open("a/b", prefix, 0, &w));
    line("reader_open_invalid_name", shmkit_reader_open("a/b", prefix, 0, &r));
    line("writer_open_unknown", shmkit_writer_open("nothing", prefix, 0, &w));
    line("reader_open_unknown", shmkit_reader_open("nothing", prefix, 0, &r));
    TIMED("reader_open_unknown_wait", shmkit_reader_open("nothing", prefix, 0.3, &r));
    line("writer_open_negative_wait", shmkit_writer_open("small", prefix, -1, &w));
    line("writer_open_nan_wait", shmkit_writer_open("small", prefix, NAN, &w));
    line("reader_open_negative_wait", shmkit_reader_open("small", prefix, -0.5, &r));
    line("reader_open_nan_wait", shmkit_reader_open("small", prefix, NAN, &r));
    value("handles_untouched", w == NULL && r == NULL);
    line("writer_open", shmkit_writer_open("small", prefix, 0, &w));
    line("reader_open", shmkit_reader_open("small", prefix, SHMKIT_FOREVER, &r));
    value("writer_max", (long long)shmkit_writer_max_message_size(w));
    value("reader_max", (long long)shmkit_reader_max_message_size(r));
    if (w == NULL || r == NULL) return 1;

    // A NULL handle, for every call that takes one.
    const void *one[] = {"x"};
    size_t one_length[] = {1};
    line("send_null_writer", shmkit_send(NULL, "x", 1, 0));
    line("send_batch_null_writer", shmkit_send_batch(NULL, one, one_length, 1, 0, &sent));
    value("send_batch_null_writer_sent", (long long)sent);
    line("claim_null_writer", shmkit_claim(NULL, &slot, &capacity, 0));
    line("commit_null_writer", shmkit_commit(NULL, 1));
    line("abandon_null_writer", shmkit_abandon(NULL));
    line("receive_null_reader", shmkit_receive(NULL, buffer, sizeof buffer, &length, 0));
    line("receive_batch_null_reader", shmkit_receive_batch(NULL, buffer, sizeof buffer, lengths, 4, &count, 0));
    value("receive_batch_null_reader_count", (long long)count);
    line("borrow_null_reader", shmkit_borrow(NULL, &data, &length, 0));
    line("release_null_reader", shmkit_release(NULL));
    value("writer_max_null", (long long)shmkit_writer_max_message_size(NULL));
    value("reader_max_null", (long long)shmkit_reader_max_message_size(NULL));
    line("writer_close_null", shmkit_writer_close(NULL));
    line("reader_close_null", shmkit_reader_close(NULL));
    shmkit_writer_free(NULL);
    shmkit_reader_free(NULL);

    // NULL data and out-pointers. A message waits in the channel meanwhile: none of these takes it.
    line("send_null_data", shmkit_send(w, NULL, 5, 0));
    line("send_null_data_empty", shmkit_send(w, NULL, 0, 0));
    line("receive_empty_message", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    value("receive_empty_message_length", (long long)length);
    line("send_hello", shmkit_send(w, "hello", 5, 0));
    line("receive_null_buffer", shmkit_receive(r, NULL, 16, &length, 0));
    line("receive_null_length", shmkit_receive(r, buffer, 16, NULL, 0));
    line("receive_batch_null_buffer", shmkit_receive_batch(r, NULL, 64, lengths, 4, &count, 0));
    line("receive_batch_null_lengths", shmkit_receive_batch(r, buffer, 64, NULL, 4, &count, 0));
    line("receive_batch_null_count", shmkit_receive_batch(r, buffer, 64, lengths, 4, NULL, 0));
    line("borrow_null_data", shmkit_borrow(r, NULL, &length, 0));
    line("borrow_null_length", shmkit_borrow(r, &data, NULL, 0));
    // The buffer must hold the largest message, before anything is taken.
    line("receive_small_buffer", shmkit_receive(r, buffer, 15, &length, 0));
    line("receive_zero_capacity", shmkit_receive(r, buffer, 0, &length, 0));
    line("receive_batch_small_buffer", shmkit_receive_batch(r, buffer, 15, lengths, 4, &count, 0));
    line("receive_batch_zero_count", shmkit_receive_batch(r, buffer, 64, lengths, 0, &count, 0));
    length = 0;
    line("receive_hello", shmkit_receive(r, buffer, 16, &length, 0));
    printf("=receive_hello_text\t%.*s\n", (int)length, buffer);
    line("claim_null_slot", shmkit_claim(w, NULL, &capacity, 0));
    line("claim_null_capacity", shmkit_claim(w, &slot, NULL, 0));
    line("send_batch_null_messages", shmkit_send_batch(w, NULL, one_length, 1, 0, &sent));
    value("send_batch_null_messages_sent", (long long)sent);
    line("send_batch_null_lengths", shmkit_send_batch(w, one, NULL, 1, 0, &sent));
    line("send_batch_nothing", shmkit_send_batch(w, NULL, NULL, 0, 0, &sent));
    value("send_batch_nothing_sent", (long long)sent);
    // The channel is still empty: none of the refused claims or batches took its slot.
    line("send_after_refusals", shmkit_send(w, "kept", 4, 0));
    line("receive_after_refusals", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    printf("=receive_after_refusals_text\t%.*s\n", (int)length, buffer);

    // Too large: 17 bytes for a slot of 16.
    const char *seventeen = "seventeen bytes!!";
    line("send_too_large", shmkit_send(w, seventeen, 17, 0));
    const void *two[] = {"ok", seventeen};
    size_t two_lengths[] = {2, 17};
    line("send_batch_too_large", shmkit_send_batch(w, two, two_lengths, 2, 0, &sent));
    value("send_batch_too_large_sent", (long long)sent);
    line("claim", shmkit_claim(w, &slot, &capacity, 0));
    value("claim_capacity", (long long)capacity);
    line("commit_too_large", shmkit_commit(w, 17));
    // The slot stays claimed after a refused commit: a smaller one publishes it.
    memcpy(slot, "in place", 8);
    line("commit_after_too_large", shmkit_commit(w, 8));
    line("receive_in_place", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    printf("=receive_in_place_text\t%.*s\n", (int)length, buffer);

    // Timeouts: an empty channel for the reader, a full one for the writer.
    TIMED("receive_timeout", shmkit_receive(r, buffer, sizeof buffer, &length, 0.2));
    TIMED("receive_batch_timeout", shmkit_receive_batch(r, buffer, sizeof buffer, lengths, 4, &count, 0.2));
    TIMED("borrow_timeout", shmkit_borrow(r, &data, &length, 0.2));
    line("receive_once", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    // A batch that times out after its first message: *sent says so, and that one arrives.
    const void *pair[] = {"first", "second"};
    size_t pair_lengths[] = {5, 6};
    TIMED("send_batch_partial", shmkit_send_batch(w, pair, pair_lengths, 2, 0.2, &sent));
    value("send_batch_partial_sent", (long long)sent);
    line("receive_partial", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    printf("=receive_partial_text\t%.*s\n", (int)length, buffer);
    line("send_one", shmkit_send(w, "one", 3, 0));
    TIMED("send_timeout", shmkit_send(w, "two", 3, 0.2));
    TIMED("send_batch_timeout", shmkit_send_batch(w, one, one_length, 1, 0.2, &sent));
    value("send_batch_timeout_sent", (long long)sent);
    TIMED("claim_timeout", shmkit_claim(w, &slot, &capacity, 0.2));
    line("send_once", shmkit_send(w, "two", 3, 0));

    // Negative and nan timeouts are refused before anything is taken or waited for.
    line("send_negative_timeout", shmkit_send(w, "x", 1, -1));
    line("send_nan_timeout", shmkit_send(w, "x", 1, NAN));
    line("send_minus_infinity_timeout", shmkit_send(w, "x", 1, -SHMKIT_FOREVER));
    line("send_batch_negative_timeout", shmkit_send_batch(w, one, one_length, 1, -1, &sent));
    line("claim_nan_timeout", shmkit_claim(w, &slot, &capacity, NAN));
    line("receive_negative_timeout", shmkit_receive(r, buffer, sizeof buffer, &length, -1));
    line("receive_batch_nan_timeout", shmkit_receive_batch(r, buffer, sizeof buffer, lengths, 4, &count, NAN));
    line("borrow_negative_timeout", shmkit_borrow(r, &data, &length, -0.001));
    // "one" is still there, and the writer holds no claim.
    line("receive_one", shmkit_receive(r, buffer, sizeof buffer, &length, SHMKIT_FOREVER));
    printf("=receive_one_text\t%.*s\n", (int)length, buffer);
    line("send_forever", shmkit_send(w, "forever", 7, SHMKIT_FOREVER));
    line("receive_forever", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    printf("=receive_forever_text\t%.*s\n", (int)length, buffer);

    // A release without a borrow, a commit or an abandon without a claim, a second claim or borrow.
    line("release_without_borrow", shmkit_release(r));
    line("commit_without_claim", shmkit_commit(w, 1));
    line("abandon_without_claim", shmkit_abandon(w));
    line("claim_first", shmkit_claim(w, &slot, &capacity, 0));
    line("claim_second", shmkit_claim(w, &slot, &capacity, 0));
    line("send_while_claimed", shmkit_send(w, "x", 1, 0));
    line("send_batch_while_claimed", shmkit_send_batch(w, one, one_length, 1, 0, &sent));
    line("abandon", shmkit_abandon(w));
    line("commit_after_abandon", shmkit_commit(w, 1));
    // Readers skip the abandoned slot.
    line("receive_skips_abandoned", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    line("send_borrowed", shmkit_send(w, "borrowed", 8, 0));
    line("borrow_first", shmkit_borrow(r, &data, &length, 0));
    printf("=borrow_first_text\t%.*s\n", (int)length, (const char *)data);
    line("borrow_second", shmkit_borrow(r, &data, &length, 0));
    line("receive_while_borrowed", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    line("receive_batch_while_borrowed", shmkit_receive_batch(r, buffer, sizeof buffer, lengths, 4, &count, 0));
    line("release", shmkit_release(r));
    line("release_second", shmkit_release(r));

    // Calls on closed handles: 64 naming the close; sizes 0; closing again is fine.
    line("writer_close", shmkit_writer_close(w));
    line("writer_close_again", shmkit_writer_close(w));
    line("send_closed", shmkit_send(w, "x", 1, 0));
    line("send_batch_closed", shmkit_send_batch(w, one, one_length, 1, 0, &sent));
    line("claim_closed", shmkit_claim(w, &slot, &capacity, 0));
    line("commit_closed", shmkit_commit(w, 1));
    line("abandon_closed", shmkit_abandon(w));
    value("writer_max_closed", (long long)shmkit_writer_max_message_size(w));
    line("reader_close", shmkit_reader_close(r));
    line("reader_close_again", shmkit_reader_close(r));
    line("receive_closed", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    line("receive_batch_closed", shmkit_receive_batch(r, buffer, sizeof buffer, lengths, 4, &count, 0));
    line("borrow_closed", shmkit_borrow(r, &data, &length, 0));
    line("release_closed", shmkit_release(r));
    value("reader_max_closed", (long long)shmkit_reader_max_message_size(r));
    shmkit_writer_free(w);
    shmkit_reader_free(r);

    // Closing a writer abandons its claim; closing a reader releases its borrow (both detach,
    // so the channel's only slot is free again for the next ones).
    shmkit_writer *w2 = NULL;
    shmkit_reader *r2 = NULL;
    line("reopen_writer", shmkit_writer_open("small", prefix, 0, &w2));
    line("reopen_reader", shmkit_reader_open("small", prefix, 0, &r2));
    line("claim_then_close", shmkit_claim(w2, &slot, &capacity, 0));
    memcpy(slot, "never", 5);
    line("close_with_claim", shmkit_writer_close(w2));
    line("receive_after_close_with_claim", shmkit_receive(r2, buffer, sizeof buffer, &length, 0));
    shmkit_writer_free(w2);
    line("reopen_writer_again", shmkit_writer_open("small", prefix, 0, &w2));
    line("send_then_borrow", shmkit_send(w2, "lent", 4, 0));
    line("borrow_then_close", shmkit_borrow(r2, &data, &length, 0));
    line("close_with_borrow", shmkit_reader_close(r2));
    line("send_after_close_with_borrow", shmkit_send(w2, "next", 4, 0));
    shmkit_reader_free(r2);
    shmkit_writer_free(w2);
    return 0;
}

// A batch whose message pointer is NULL for a length that is not 0.
static int null_entry(const char *prefix) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    char buffer[16];
    size_t length = 0, sent = 99;
    line("writer_open", shmkit_writer_open("small", prefix, 0, &w));
    line("reader_open", shmkit_reader_open("small", prefix, 0, &r));
    if (w == NULL || r == NULL) return 1;
    line("send_secret", shmkit_send(w, "secret-password!", 16, 0));
    line("receive_secret", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    const void *messages[] = {NULL};
    size_t lengths[] = {16};
    line("send_batch_null_entry", shmkit_send_batch(w, messages, lengths, 1, 0, &sent));
    value("send_batch_null_entry_sent", (long long)sent);
    length = 0;
    line("receive_after_null_entry", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    printf("=receive_after_null_entry_text\t%.*s\n", (int)length, buffer);
    shmkit_writer_free(w);
    shmkit_reader_free(r);
    return 0;
}

// The failures of opening a channel that is not one (a segment of garbage, of 0 bytes) or whose
// client table is full ('one', held by another client), and a NUL byte on the seed layout.
static int more(const char *prefix) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    char buffer[1024];
    size_t length = 0, sent = 99, capacity = 0;
    void *slot = NULL;
    line("writer_open_garbage", shmkit_writer_open("garbage", prefix, 0, &w));
    line("reader_open_zero", shmkit_reader_open("zero", prefix, 0.2, &r));
    line("reader_open_full_table", shmkit_reader_open("one", prefix, 0, &r));
    value("handles_untouched", w == NULL && r == NULL);
    line("writer_open_seed", shmkit_writer_open("seed", prefix, 0, &w));
    line("reader_open_seed", shmkit_reader_open("seed", prefix, 0, &r));
    if (w == NULL || r == NULL) return 1;
    value("seed_max", (long long)shmkit_writer_max_message_size(w));
    line("send_nul", shmkit_send(w, "a\0b", 3, 0));
    const void *messages[] = {"a\0b"};
    size_t lengths[] = {3};
    line("send_batch_nul", shmkit_send_batch(w, messages, lengths, 1, 0, &sent));
    value("send_batch_nul_sent", (long long)sent);
    line("receive_after_batch_nul", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    value("receive_after_batch_nul_length", (long long)length);
    line("claim_seed", shmkit_claim(w, &slot, &capacity, 0));
    value("claim_seed_capacity", (long long)capacity);
    if (slot != NULL) memcpy(slot, "c\0d", 3);
    line("commit_nul", shmkit_commit(w, 3));
    length = 0;
    line("receive_after_commit_nul", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    value("receive_after_commit_nul_length", (long long)length);
    line("abandon_after_commit_nul", shmkit_abandon(w));
    shmkit_writer_free(w);
    shmkit_reader_free(r);
    return 0;
}

static void *other_thread(void *unused) {
    (void)unused;
    // The main thread's failure is not this thread's.
    value("thread_initial_kind", shmkit_last_error_kind());
    printf("=thread_initial_text\t%s\n", shmkit_last_error());
    line("thread_commit_null", shmkit_commit(NULL, 0));
    return NULL;
}

static int threads(const char *prefix) {
    shmkit_reader *r = NULL;
    line("main_open_unknown", shmkit_reader_open("nothing", prefix, 0, &r));
    pthread_t thread;
    if (pthread_create(&thread, NULL, other_thread, NULL) != 0) return 1;
    pthread_join(thread, NULL);
    // Still the main thread's own failure, and a success does not clear it.
    shmkit_writer *w = NULL;
    int opened = shmkit_writer_open("small", prefix, 0, &w);
    value("main_open_small", opened);
    value("main_kind_after", shmkit_last_error_kind());
    printf("=main_text_after\t%s\n", shmkit_last_error());
    shmkit_writer_free(w);
    return 0;
}

static int access_(const char *prefix) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    line("writer_open_denied", shmkit_writer_open("small", prefix, 0, &w));
    line("reader_open_denied", shmkit_reader_open("small", prefix, 0, &r));
    value("handles_untouched", w == NULL && r == NULL);
    return 0;
}

static int closed(const char *prefix) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    char buffer[64];
    size_t length = 0, sent = 99, count = 99, capacity = 0, lengths[4];
    void *slot = NULL;
    const void *data = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    line("writer_open", shmkit_writer_open("closing", prefix, 0, &w));
    line("reader_open", shmkit_reader_open("closing", prefix, 0, &r));
    if (w == NULL || r == NULL) return 1;
    line("send_first", shmkit_send(w, "first", 5, 0));
    line("send_second", shmkit_send(w, "second", 6, 0));
    printf("ready\n");
    if (fgets(buffer, sizeof buffer, stdin) == NULL) return 1;
    // shmd stopped: a writer gets 69 for every way of sending...
    line("send_closed", shmkit_send(w, "third", 5, 0));
    const void *one[] = {"x"};
    size_t one_length[] = {1};
    line("send_batch_closed", shmkit_send_batch(w, one, one_length, 1, 0, &sent));
    value("send_batch_closed_sent", (long long)sent);
    line("claim_closed", shmkit_claim(w, &slot, &capacity, SHMKIT_FOREVER));
    // ...and a reader drains what was queued, then gets 69 with SHMKIT_E_CLOSED, each time.
    line("receive_first", shmkit_receive(r, buffer, sizeof buffer, &length, SHMKIT_FOREVER));
    printf("=receive_first_text\t%.*s\n", (int)length, buffer);
    line("borrow_second", shmkit_borrow(r, &data, &length, SHMKIT_FOREVER));
    printf("=borrow_second_text\t%.*s\n", (int)length, (const char *)data);
    line("release_second", shmkit_release(r));
    line("receive_end", shmkit_receive(r, buffer, sizeof buffer, &length, SHMKIT_FOREVER));
    line("receive_end_again", shmkit_receive(r, buffer, sizeof buffer, &length, 0));
    line("borrow_end", shmkit_borrow(r, &data, &length, SHMKIT_FOREVER));
    line("receive_batch_end", shmkit_receive_batch(r, buffer, sizeof buffer, lengths, 4, &count, SHMKIT_FOREVER));
    value("receive_batch_end_count", (long long)count);
    line("writer_close", shmkit_writer_close(w));
    line("reader_close", shmkit_reader_close(r));
    shmkit_writer_free(w);
    shmkit_reader_free(r);
    return 0;
}

/// Resident memory in KiB and open descriptors of this process.
static long resident_kib(void) {
    long pages = 0, resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL) return -1;
    if (fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(statm);
    return resident * 4;
}

static long descriptors(void) {
    long n = 0;
    DIR *fds = opendir("/proc/self/fd");
    if (fds == NULL) return -1;
    while (readdir(fds) != NULL) n++;
    closedir(fds);
    return n;
}

static int leak_round(const char *prefix, shmkit_writer *w, shmkit_reader *r, int i) {
    char buffer[64];
    size_t length, sent, count, capacity, lengths[4];
    void *slot;
    const void *data;
    const void *big[] = {"seventeen bytes!!"};
    size_t big_length[] = {17};
    shmkit_writer *none = NULL;
    shmkit_reader *no_reader = NULL;
    int failures = 0;
    failures += shmkit_writer_open("nothing", prefix, 0, &none) == SHMKIT_UNAVAILABLE;
    failures += shmkit_reader_open("a/b", prefix, 0, &no_reader) == SHMKIT_USAGE;
    failures += shmkit_writer_open(NULL, prefix, 0, &none) == SHMKIT_USAGE;
    failures += shmkit_send(w, "seventeen bytes!!", 17, 0) == SHMKIT_DATAERR;
    failures += shmkit_send_batch(w, big, big_length, 1, 0, &sent) == SHMKIT_DATAERR;
    failures += shmkit_send(w, "x", 1, NAN) == SHMKIT_USAGE;
    failures += shmkit_receive(r, buffer, sizeof buffer, &length, 0) == SHMKIT_TEMPFAIL;
    failures += shmkit_receive_batch(r, buffer, 8, lengths, 4, &count, 0) == SHMKIT_USAGE;
    failures += shmkit_borrow(r, &data, &length, -1) == SHMKIT_USAGE;
    failures += shmkit_release(r) == SHMKIT_USAGE;
    failures += shmkit_commit(w, 1) == SHMKIT_USAGE;
    failures += shmkit_receive(NULL, buffer, sizeof buffer, &length, 0) == SHMKIT_USAGE;
    // A full channel: the send times out. Then a claim of the freed slot, a second claim refused.
    failures += shmkit_send(w, "x", 1, 0) == SHMKIT_OK;
    failures += shmkit_send(w, "y", 1, 0) == SHMKIT_TEMPFAIL;
    failures += shmkit_receive(r, buffer, sizeof buffer, &length, 0) == SHMKIT_OK;
    failures += shmkit_claim(w, &slot, &capacity, 0) == SHMKIT_OK;
    failures += shmkit_claim(w, &slot, &capacity, 0) == SHMKIT_USAGE;
    failures += shmkit_abandon(w) == SHMKIT_OK;
    if (i % 10 == 0) {
        shmkit_writer *w2 = NULL;
        shmkit_reader *r2 = NULL;
        failures += shmkit_writer_open("small", prefix, 0, &w2) == SHMKIT_OK;
        failures += shmkit_reader_open("small", prefix, 0, &r2) == SHMKIT_OK;
        shmkit_writer_free(w2);
        shmkit_reader_close(r2);
        failures += shmkit_receive(r2, buffer, sizeof buffer, &length, 0) == SHMKIT_USAGE;
        shmkit_reader_free(r2);
    }
    return failures == 18 + (i % 10 == 0 ? 3 : 0) ? 0 : 1;
}

static int leak(const char *prefix, long rounds) {
    shmkit_writer *w = NULL;
    shmkit_reader *r = NULL;
    if (shmkit_writer_open("small", prefix, 0, &w) || shmkit_reader_open("small", prefix, 0, &r)) {
        fprintf(stderr, "%s\n", shmkit_last_error());
        return 1;
    }
    long unexpected = 0, warm = rounds / 10;
    for (long i = 0; i < warm; i++) unexpected += leak_round(prefix, w, r, (int)i);
    long rss = resident_kib(), fds = descriptors();
    double start = now();
    for (long i = warm; i < rounds; i++) unexpected += leak_round(prefix, w, r, (int)i);
    value("leak_seconds_x1000", (long long)((now() - start) * 1000));
    value("leak_unexpected", unexpected);
    value("leak_rss_before_kib", rss);
    value("leak_rss_after_kib", resident_kib());
    value("leak_fds_before", fds);
    value("leak_fds_after", descriptors());
    shmkit_writer_free(w);
    shmkit_reader_free(r);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s errors|threads|more|null-entry|access|closed|leak PREFIX [N]\n", argv[0]);
        return 64;
    }
    const char *mode = argv[1], *prefix = argv[2];
    if (strcmp(mode, "errors") == 0) return errors(prefix);
    if (strcmp(mode, "threads") == 0) return threads(prefix);
    if (strcmp(mode, "null-entry") == 0) return null_entry(prefix);
    if (strcmp(mode, "more") == 0) return more(prefix);
    if (strcmp(mode, "access") == 0) return access_(prefix);
    if (strcmp(mode, "closed") == 0) return closed(prefix);
    if (strcmp(mode, "leak") == 0) return leak(prefix, argc > 3 ? atol(argv[3]) : 10000);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 64;
}
