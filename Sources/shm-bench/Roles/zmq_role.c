// zmq_role: the `zmq-pushpull` and `zmq-pair` transports of shm-bench, one side of a
// measurement over ZeroMQ (libzmq's C API, zmq_send/zmq_recv) on ipc://, with the role protocol
// of role_harness.h.
//
// Each direction's endpoint is ipc://TMP/PREFIX-zmq/CHANNEL (TMP: $TMPDIR or /tmp), a folder of
// the run's own that shm-bench removes at the end. The receiving side binds, the sending side
// connects: zmq-pushpull uses a PUSH and a PULL socket per direction, zmq-pair one PAIR socket
// that carries both (the round trip's replies come back on it, so --reply-channel is unused).
// Both high-water marks are --capacity messages, the shmd ring's slot count; at the mark
// zmq_send blocks, so nothing is dropped (PUSH and PAIR never drop). Before the barrier each
// sender sends one hello and each receiver waits for one: once both sides are ready, every
// connection is up and the measurement does not include ZeroMQ's connect and reconnect delays.
//
// Built by `make peer-roles`: cc -O2 zmq_role.c -lzmq.
#include "role_harness.h"

#include <errno.h>
#include <sys/stat.h>
#include <zmq.h>

static void *context, *outbound, *inbound, *monitor;
static char bound_path[2][300];
static int bound;

static int failed(const char *call, const char *object) {
    fprintf(stderr, "zmq_role: %s %s: %s\n", call, object, zmq_strerror(zmq_errno()));
    return 1;
}

static const char *folder(const struct role_args *args) {
    static char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/%s-zmq", tmp && *tmp ? tmp : "/tmp", args->prefix);
    return path;
}

static void *make_socket(const struct role_args *args, int type) {
    void *socket = zmq_socket(context, type);
    if (!socket) {
        failed("zmq_socket", args->transport);
        return NULL;
    }
    int hwm = (int)args->capacity, interval = 10, linger = 30000;
    zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    // A connect that comes before the bind retries after this many ms (100 by default).
    zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &interval, sizeof interval);
    // The writer's last messages may still be on their way when it closes: wait for them,
    // but not forever when the reader has died.
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    return socket;
}

static int attach(const struct role_args *args, void *socket, const char *channel, int binds) {
    char endpoint[320];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/%s", folder(args), channel);
    if (binds) {
        if (zmq_bind(socket, endpoint) != 0) return failed("zmq_bind", endpoint);
        snprintf(bound_path[bound++], sizeof bound_path[0], "%s/%s", folder(args), channel);
        return 0;
    }
    return zmq_connect(socket, endpoint) != 0 ? failed("zmq_connect", endpoint) : 0;
}

static int role_open(const struct role_args *args) {
    int pair = !strcmp(args->transport, "zmq-pair");
    if (!pair && strcmp(args->transport, "zmq-pushpull") != 0) {
        fprintf(stderr, "zmq_role: unknown transport '%s' (zmq-pushpull, zmq-pair)\n", args->transport);
        return 1;
    }
    if (mkdir(folder(args), 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "zmq_role: mkdir %s: %s\n", folder(args), strerror(errno));
        return 1;
    }
    if (!(context = zmq_ctx_new())) return failed("zmq_ctx_new", args->transport);
    if (pair) {
        // The channel's receiving side binds, the other connects; one socket both ways.
        int binds = !strcmp(args->side, "reader") || !strcmp(args->side, "pong");
        if (!(outbound = inbound = make_socket(args, ZMQ_PAIR))) return 1;
        if (attach(args, outbound, args->channel, binds)) return 1;
    } else {
        if (args->inbound && (!(inbound = make_socket(args, ZMQ_PULL)) || attach(args, inbound, args->inbound, 1))) return 1;
        if (args->outbound && (!(outbound = make_socket(args, ZMQ_PUSH)) || attach(args, outbound, args->outbound, 0)))
            return 1;
    }
    // The writer and the pong send last: they learn of the other side's disconnect from this.
    if (!strcmp(args->side, "writer") || !strcmp(args->side, "pong")) {
        if (zmq_socket_monitor(outbound, "inproc://disconnects", ZMQ_EVENT_DISCONNECTED) != 0)
            return failed("zmq_socket_monitor", args->outbound);
        if (!(monitor = zmq_socket(context, ZMQ_PAIR)) || zmq_connect(monitor, "inproc://disconnects") != 0)
            return failed("zmq_connect", "inproc://disconnects");
    }
    // The hellos: a sender's is queued at once; a receiver returns only once a peer is connected.
    unsigned char *hello = (unsigned char *)calloc(1, args->size);
    if (!hello) return 71;
    int sends = args->outbound != NULL, receives = args->inbound != NULL;
    if (sends && zmq_send(outbound, hello, args->size, 0) < 0) return failed("zmq_send (hello)", args->outbound);
    if (receives && zmq_recv(inbound, hello, args->size, 0) < 0) return failed("zmq_recv (hello)", args->inbound);
    free(hello);
    return 0;
}

static void role_started(const struct role_args *args) {
    (void)args;
    // Connected: the socket files are no longer needed, and a crash leaves less behind.
    for (int i = 0; i < bound; i++) unlink(bound_path[i]);
}

static int role_send(const void *message, size_t length) {
    while (zmq_send(outbound, message, length, 0) < 0) {
        if (zmq_errno() == EINTR) continue;
        return failed("zmq_send", "");
    }
    return 0;
}

static long role_receive(void *buffer, size_t capacity) {
    for (;;) {
        int length = zmq_recv(inbound, buffer, capacity, 0);
        // A longer message is truncated to capacity and reports its full length: a bad length.
        if (length >= 0) return length;
        if (zmq_errno() == EINTR) continue;
        failed("zmq_recv", "");
        return -1;
    }
}

static void role_close(const struct role_args *args) {
    if (monitor) {
        // An event is two frames: 2 bytes of event number and 4 of value, then the endpoint.
        zmq_pollitem_t item = {monitor, 0, ZMQ_POLLIN, 0};
        int disconnected = 0;
        while (!disconnected && zmq_poll(&item, 1, 60000) > 0) {
            unsigned char event[6];
            char endpoint[320];
            int more = 0;
            size_t length = sizeof more;
            if (zmq_recv(monitor, event, sizeof event, 0) < 2) break;
            uint16_t number;
            memcpy(&number, event, sizeof number);
            zmq_getsockopt(monitor, ZMQ_RCVMORE, &more, &length);
            if (more) zmq_recv(monitor, endpoint, sizeof endpoint, 0);
            disconnected = number == ZMQ_EVENT_DISCONNECTED;
        }
        if (!disconnected) fprintf(stderr, "zmq_role: %s: the other side did not disconnect within 60 s\n", args->outbound);
        zmq_close(monitor);
    }
    if (outbound) zmq_close(outbound);
    if (inbound && inbound != outbound) zmq_close(inbound);
    zmq_ctx_term(context);
}

int main(int argc, char **argv) {
    static const struct role_transport transport = {role_open, role_started, role_send, role_receive, role_close};
    return role_run_peer(argc, argv, "zmq-pushpull|zmq-pair", &transport);
}
