// mq_role: the `posix-mq` transport of shm-bench, one side of a measurement over POSIX message
// queues (mq_send/mq_receive, blocking, priority 0), with the role protocol of role_harness.h.
//
// Each direction is the queue /PREFIX.CHANNEL, opened by both sides with O_CREAT and the same
// attributes (mq_maxmsg = --capacity, mq_msgsize = SIZE), so whichever comes first creates it.
// Both sides unlink it once the start barrier has passed: the open descriptors keep it alive
// to the end, and a role that crashes leaves nothing in the kernel's queue namespace.
// The kernel refuses mq_maxmsg above fs.mqueue.msg_max and mq_msgsize above
// fs.mqueue.msgsize_max, and a user's queues above RLIMIT_MSGQUEUE bytes; shm-bench raises the
// first two as root, and picks the capacity within the third.
//
// Built by `make peer-roles`: cc -O2 mq_role.c -lrt.
#include "role_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>

static mqd_t outbound = (mqd_t)-1, inbound = (mqd_t)-1;
static char outbound_name[256], inbound_name[256];

static mqd_t open_queue(const struct role_args *args, const char *channel, char *name, size_t space) {
    snprintf(name, space, "/%s.%s", args->prefix, channel);
    struct mq_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.mq_maxmsg = args->capacity;
    attr.mq_msgsize = (long)args->size;
    mqd_t queue = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
    if (queue == (mqd_t)-1) {
        int error = errno;
        fprintf(stderr, "mq_role: mq_open %s (maxmsg %ld, msgsize %zu): %s%s\n", name, args->capacity, args->size,
                strerror(error),
                error == EINVAL   ? ": above /proc/sys/fs/mqueue/msg_max or msgsize_max? raise them as root"
                : error == EMFILE ? ": the user's queues would pass RLIMIT_MSGQUEUE (ulimit -q); ask for a smaller --capacity"
                                  : "");
    }
    return queue;
}

static int role_open(const struct role_args *args) {
    if (args->outbound && (outbound = open_queue(args, args->outbound, outbound_name, sizeof outbound_name)) == (mqd_t)-1)
        return 1;
    if (args->inbound && (inbound = open_queue(args, args->inbound, inbound_name, sizeof inbound_name)) == (mqd_t)-1)
        return 1;
    return 0;
}

static void role_started(const struct role_args *args) {
    (void)args;
    // The other side may have unlinked it first.
    if (outbound != (mqd_t)-1) mq_unlink(outbound_name);
    if (inbound != (mqd_t)-1) mq_unlink(inbound_name);
}

static int role_send(const void *message, size_t length) {
    while (mq_send(outbound, (const char *)message, length, 0) != 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "mq_role: mq_send %s: %s\n", outbound_name, strerror(errno));
        return 1;
    }
    return 0;
}

static long role_receive(void *buffer, size_t capacity) {
    for (;;) {
        ssize_t length = mq_receive(inbound, (char *)buffer, capacity, NULL);
        if (length >= 0) return (long)length;
        if (errno == EINTR) continue;
        fprintf(stderr, "mq_role: mq_receive %s: %s\n", inbound_name, strerror(errno));
        return -1;
    }
}

static void role_close(const struct role_args *args) {
    (void)args;
    if (outbound != (mqd_t)-1) mq_close(outbound);
    if (inbound != (mqd_t)-1) mq_close(inbound);
}

int main(int argc, char **argv) {
    static const struct role_transport transport = {role_open, role_started, role_send, role_receive, role_close};
    return role_run_peer(argc, argv, "posix-mq", &transport);
}
