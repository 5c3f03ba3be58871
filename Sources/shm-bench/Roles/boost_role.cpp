// boost_role: the `boost-mq` transport of shm-bench, one side of a measurement over
// Boost.Interprocess message_queue (blocking send/receive, priority 0), with the role protocol
// of role_harness.h.
//
// Each direction is the queue PREFIX.CHANNEL (/dev/shm/PREFIX.CHANNEL), opened by both sides
// with open_or_create and the same geometry: --capacity messages (the shmd ring's slot count)
// of SIZE bytes. Both sides remove the name once the start barrier has passed: their mappings
// keep the queue alive to the end, and a role that crashes leaves nothing in /dev/shm.
//
// Built by `make peer-roles`: g++ -O2 boost_role.cpp -lrt -pthread (Boost.Interprocess is
// header-only).
#include "role_harness.h"

#include <boost/interprocess/ipc/message_queue.hpp>
#include <string>

using boost::interprocess::interprocess_exception;
using boost::interprocess::message_queue;

static message_queue *outbound, *inbound;
static std::string outbound_name, inbound_name;

static message_queue *open_queue(const struct role_args *args, const char *channel, std::string &name) {
    name = std::string(args->prefix) + "." + channel;
    try {
        return new message_queue(boost::interprocess::open_or_create, name.c_str(), (size_t)args->capacity, args->size);
    } catch (const interprocess_exception &error) {
        fprintf(stderr, "boost_role: message_queue %s (%ld messages of %zu bytes): %s (is /dev/shm full? df /dev/shm)\n",
                name.c_str(), args->capacity, args->size, error.what());
        return NULL;
    }
}

static int role_open(const struct role_args *args) {
    if (args->outbound && !(outbound = open_queue(args, args->outbound, outbound_name))) return 1;
    if (args->inbound && !(inbound = open_queue(args, args->inbound, inbound_name))) return 1;
    // A queue left by an earlier run of the same name would have another geometry.
    if ((outbound && outbound->get_max_msg_size() != args->size) || (inbound && inbound->get_max_msg_size() != args->size)) {
        fprintf(stderr, "boost_role: queue %s exists with another message size: remove /dev/shm/%s\n",
                (outbound ? outbound_name : inbound_name).c_str(), (outbound ? outbound_name : inbound_name).c_str());
        return 1;
    }
    return 0;
}

static void role_started(const struct role_args *args) {
    (void)args;
    // The other side may have removed it first.
    if (outbound) message_queue::remove(outbound_name.c_str());
    if (inbound) message_queue::remove(inbound_name.c_str());
}

static int role_send(const void *message, size_t length) {
    try {
        outbound->send(message, length, 0);
        return 0;
    } catch (const interprocess_exception &error) {
        fprintf(stderr, "boost_role: send on %s: %s\n", outbound_name.c_str(), error.what());
        return 1;
    }
}

static long role_receive(void *buffer, size_t capacity) {
    try {
        message_queue::size_type length = 0;
        unsigned int priority = 0;
        inbound->receive(buffer, capacity, length, priority);
        return (long)length;
    } catch (const interprocess_exception &error) {
        fprintf(stderr, "boost_role: receive on %s: %s\n", inbound_name.c_str(), error.what());
        return -1;
    }
}

static void role_close(const struct role_args *args) {
    (void)args;
    delete outbound;
    delete inbound;
}

int main(int argc, char **argv) {
    static const struct role_transport transport = {role_open, role_started, role_send, role_receive, role_close};
    return role_run_peer(argc, argv, "boost-mq", &transport);
}
