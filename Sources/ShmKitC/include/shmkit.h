/*
 * shmkit.h: the C API of ShmKit, shmd's client library (libshmkit).
 *
 * A program attaches to a channel that shmd serves, as a writer or as a reader, and moves
 * messages through shared memory. The C API is ShmKit itself, exported from Swift: the same
 * protocol code as shm-writer and shm-reader, the same errors, the same exit-code meanings.
 *
 * Build: cc app.c $(pkg-config --cflags --libs shmkit)
 *
 * Status codes. Every function that can fail returns one of the sysexits(3) codes below, the
 * code shm-writer and shm-reader exit with for the same failure; 0 is success. After a failure,
 * shmkit_last_error() is the message the commands print (it names the channel and the fix), and
 * shmkit_last_error_kind() says which failure it was, more precisely than the code.
 *
 * Timeouts and waits are in seconds, as a double: 0 tries once, SHMKIT_FOREVER (+infinity) has
 * no limit. A negative value or nan is refused with SHMKIT_USAGE before anything is taken.
 *
 * Threads. A handle is for one thread at a time: calls on the same handle from two threads at
 * once are undefined. Different handles may be used from different threads freely, also on the
 * same channel. The last error is per thread.
 *
 * Crashes. A writer that dies holding a claimed slot: shmd publishes the slot as abandoned within
 * one sweep, and readers skip it. A reader that dies holding a borrowed message: shmd writes the
 * message back into the channel for another reader. A message is never seen torn.
 *
 * What stays undefined: using a handle after shmkit_*_free(); passing a pointer that is not
 * NULL and not a valid buffer of the length given; writing through a claimed slot's pointer
 * after commit or abandon, or reading a borrowed message after release; calls on one handle from
 * two threads at once.
 */
#ifndef SHMKIT_H
#define SHMKIT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this API. A library with another major version is not compatible. */
#define SHMKIT_VERSION_MAJOR 1
#define SHMKIT_VERSION_MINOR 1

/** Status codes (sysexits(3)). */
enum shmkit_status {
    SHMKIT_OK = 0,
    /** A bad argument or use: NULL, a negative or nan timeout, an invalid channel name, a buffer
     *  smaller than the channel's largest message, a release without a borrow, a call on a
     *  closed handle. */
    SHMKIT_USAGE = 64,
    /** A message larger than a slot, one the layout cannot carry, a header this library does
     *  not understand, or a damaged channel. */
    SHMKIT_DATAERR = 65,
    /** No such channel, the channel closed (a reader: every message was taken), or its client
     *  table is full. */
    SHMKIT_UNAVAILABLE = 69,
    /** Any other failed system call. */
    SHMKIT_OSERR = 71,
    /** The timeout passed. */
    SHMKIT_TEMPFAIL = 75,
    /** Permission denied opening the channel's objects. */
    SHMKIT_NOPERM = 77
};

/** What the last failure was, more precisely than its status code. */
enum shmkit_error_kind {
    SHMKIT_E_NONE = 0,
    SHMKIT_E_NOT_FOUND = 1,        /* 69 */
    SHMKIT_E_CLOSED = 2,           /* 69: shmd closed the channel (end of stream for a reader) */
    SHMKIT_E_TOO_MANY_CLIENTS = 3, /* 69 */
    SHMKIT_E_TOO_LARGE = 4,        /* 65 */
    SHMKIT_E_UNREPRESENTABLE = 5,  /* 65: a NUL byte on a seed-layout channel */
    SHMKIT_E_HEADER_MISMATCH = 6,  /* 65 */
    SHMKIT_E_DAMAGED = 7,          /* 65: corrupt, truncated or empty segment */
    SHMKIT_E_TIMEOUT = 8,          /* 75 */
    SHMKIT_E_PERMISSION = 9,       /* 77 */
    SHMKIT_E_INVALID_ARGUMENT = 10,/* 64 */
    SHMKIT_E_INVALID_NAME = 11,    /* 64 */
    SHMKIT_E_SYSTEM = 12           /* 71 */
};

/** No limit, for a timeout or a wait. */
#define SHMKIT_FOREVER HUGE_VAL

typedef struct shmkit_writer shmkit_writer;
typedef struct shmkit_reader shmkit_reader;

/** The message of the calling thread's last failure, or "" when there was none. The text stays
 *  valid until the thread's next failing call. Thread-safe. */
const char *shmkit_last_error(void);

/** The kind of the calling thread's last failure (enum shmkit_error_kind). Thread-safe. */
int shmkit_last_error_kind(void);

/* ---- writers ------------------------------------------------------------------------------ */

/** Attaches to channel `channel` under `prefix` (NULL: "shmd") as a writer, waiting up to
 *  `wait_seconds` for shmd to create it, and stores the new handle in `*writer`.
 *  Fails with 64 (NULL channel or writer, invalid name, bad wait), 69 (no such channel, client
 *  table full), 65 (not a channel this library understands), 77, 71. */
int shmkit_writer_open(const char *channel, const char *prefix, double wait_seconds, shmkit_writer **writer);

/** The largest message the channel takes, in bytes (its slot size); 0 for NULL or a closed
 *  handle. */
size_t shmkit_writer_max_message_size(const shmkit_writer *writer);

/** Copies `length` bytes from `data` (NULL only when `length` is 0) into a free slot and
 *  publishes it, waiting up to `timeout_seconds` while the channel is full. The caller keeps
 *  `data`. Fails with 65 (larger than a slot), 75 (timeout: not sent), 69 (shmd closed the
 *  channel: not sent), 64, 71. */
int shmkit_send(shmkit_writer *writer, const void *data, size_t length, double timeout_seconds);

/** Sends `count` messages (`messages[i]`, `lengths[i]` bytes each) with as few cursor updates
 *  and wake-ups as the free slots allow, waiting up to `timeout_seconds` in all (one deadline
 *  for the whole batch); `*sent` is how many were sent (all of them on success). Every length is
 *  checked first: one larger than a slot fails the call (65) before anything is sent. On any
 *  other failure (a timeout: 75), the first `*sent` messages were sent and the rest were not. */
/*  `sent` may be NULL when the caller does not need the count. */
int shmkit_send_batch(shmkit_writer *writer, const void *const *messages, const size_t *lengths, size_t count,
                      double timeout_seconds, size_t *sent);

/** Claims a free slot for an in-place write, waiting up to `timeout_seconds`: `*slot` is its
 *  payload area of `*capacity` bytes (the largest message), the writer's until shmkit_commit or
 *  shmkit_abandon. Readers behind the slot wait meanwhile. Until then, every other call on the
 *  writer that moves a message (a second claim, shmkit_send, shmkit_send_batch) is 64: the
 *  claim's record is what lets shmd abandon the slot if the process dies. */
int shmkit_claim(shmkit_writer *writer, void **slot, size_t *capacity, double timeout_seconds);

/** Publishes the claimed slot with its first `length` bytes as the message. Fails with 64
 *  without a claim, 65 when `length` is more than the slot holds (the slot stays claimed). */
int shmkit_commit(shmkit_writer *writer, size_t length);

/** Gives the claimed slot up: readers skip it. Fails with 64 without a claim. */
int shmkit_abandon(shmkit_writer *writer);

/** Detaches: a claimed slot is abandoned first. Later calls on the handle fail with 64; free it
 *  with shmkit_writer_free. NULL and a closed handle are fine. */
int shmkit_writer_close(shmkit_writer *writer);

/** Closes the handle if it is open and frees it. NULL is fine. */
void shmkit_writer_free(shmkit_writer *writer);

/* ---- readers ------------------------------------------------------------------------------ */

/** Attaches to channel `channel` under `prefix` (NULL: "shmd") as a reader; see
 *  shmkit_writer_open. On a fan-out channel the reader starts at the next message written. */
int shmkit_reader_open(const char *channel, const char *prefix, double wait_seconds, shmkit_reader **reader);

/** Where a fan-out channel's reader starts (since 1.1). */
enum shmkit_start {
    /** The next message written after the reader attached. */
    SHMKIT_FROM_NEXT = 0,
    /** The oldest message still in the ring, then everything after. */
    SHMKIT_FROM_OLDEST = 1
};

/** shmkit_reader_open with where a fan-out channel's reader starts (enum shmkit_start); a queue
 *  channel's readers always take the oldest message no reader took, whatever `from` says.
 *  Fails with 64 for a `from` that is not in enum shmkit_start (since 1.1). */
int shmkit_reader_open_from(const char *channel, const char *prefix, double wait_seconds, int from, shmkit_reader **reader);

/** 1 when every reader of the channel gets every message (delivery = "fanout"), else 0; 0 for
 *  NULL or a closed handle (since 1.1). */
int shmkit_reader_is_fanout(const shmkit_reader *reader);

/** Messages this reader lost since it attached: on a fan-out channel with slow-reader = "drop",
 *  those the writers overwrote before it read them; 0 on every other channel, for NULL and for
 *  a closed handle (since 1.1). */
uint64_t shmkit_reader_lost(const shmkit_reader *reader);

/** Messages lost since the last call to this function: the gap before the message the last
 *  receive returned (and any after it). Call it after each receive to know where the gaps are
 *  (since 1.1). 0 for NULL and a closed handle. */
uint64_t shmkit_reader_take_gap(shmkit_reader *reader);

/** The largest message the channel carries, in bytes; 0 for NULL or a closed handle. */
size_t shmkit_reader_max_message_size(const shmkit_reader *reader);

/** Takes the next message and copies it into `buffer` of `capacity` bytes, `*length` its size,
 *  waiting up to `timeout_seconds` while the channel is empty. `capacity` must be at least
 *  shmkit_reader_max_message_size (64 otherwise, before anything is taken). Returns 69 with
 *  kind SHMKIT_E_CLOSED once shmd closed the channel and every message was taken. */
int shmkit_receive(shmkit_reader *reader, void *buffer, size_t capacity, size_t *length, double timeout_seconds);

/** Takes up to `max_count` messages already there (at least one, waiting for it) and copies
 *  them back to back into `buffer`, message i of `lengths[i]` bytes; `*count` is how many.
 *  It takes no more than fit: capacity / shmkit_reader_max_message_size of them. */
int shmkit_receive_batch(shmkit_reader *reader, void *buffer, size_t capacity, size_t *lengths, size_t max_count,
                         size_t *count, double timeout_seconds);

/** Borrows the next message without a copy: `*data` and `*length` are valid until
 *  shmkit_release, which frees the slot for writers. Until then, every other call on the reader
 *  that takes a message (a second borrow, shmkit_receive, shmkit_receive_batch) is 64: the
 *  borrow's record is what lets shmd redeliver the message if the process dies. Returns 69
 *  with kind SHMKIT_E_CLOSED at the end of the stream. */
int shmkit_borrow(shmkit_reader *reader, const void **data, size_t *length, double timeout_seconds);

/** Releases the borrowed message. Fails with 64 without a borrow. */
int shmkit_release(shmkit_reader *reader);

/** Detaches: a borrowed message is released first. Later calls fail with 64; free the handle
 *  with shmkit_reader_free. NULL and a closed handle are fine. */
int shmkit_reader_close(shmkit_reader *reader);

/** Closes the handle if it is open and frees it. NULL is fine. */
void shmkit_reader_free(shmkit_reader *reader);

#ifdef __cplusplus
}
#endif

#endif /* SHMKIT_H */
