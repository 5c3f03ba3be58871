/* libnats alone, for `shm-bench bridge`: what JetStream gives a C program with the settings
 * shm-bridge uses, so that the bridge's figures have something to be measured against.
 *
 *   nats_role URL STREAM SUBJECT COUNT SIZE IN_FLIGHT
 *
 * A publisher thread and a subscriber thread, each on its own connection (as hosts A and B):
 * the stream is created anew (file storage, duplicate window 120 s, as the bridge creates it);
 * the publisher sends COUNT messages of SIZE bytes with js_PublishMsgAsync, each with a
 * Nats-Msg-Id, at most IN_FLIGHT unacknowledged; the subscriber fetches batches of IN_FLIGHT
 * from a durable pull consumer (AckAll, MaxAckPending 4 * IN_FLIGHT, as the in bridge's) and
 * acknowledges each batch's last message. Each payload starts with the CLOCK_MONOTONIC time it
 * was published at, so the subscriber measures end-to-end latency.
 *
 * Prints one line: "messages N seconds S p50_us X p99_us Y". Exits 69 when NATS fails. */
#include <nats/nats.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *url, *stream, *subject;
static long count, size, in_flight;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void fail(const char *what, natsStatus status) {
    fprintf(stderr, "nats_role: %s failed: %s (%s)\n", what, natsStatus_GetText(status), nats_GetLastError(NULL));
    exit(69);
}

static natsConnection *connect_to(void) {
    natsConnection *connection = NULL;
    natsStatus status = natsConnection_ConnectTo(&connection, url);
    if (status != NATS_OK) fail("natsConnection_ConnectTo", status);
    return connection;
}

static jsCtx *context(natsConnection *connection) {
    jsOptions options;
    jsOptions_Init(&options);
    options.PublishAsync.MaxPending = in_flight;
    jsCtx *js = NULL;
    natsStatus status = natsConnection_JetStream(&js, connection, &options);
    if (status != NATS_OK) fail("natsConnection_JetStream", status);
    return js;
}

static void *publisher(void *unused) {
    (void)unused;
    natsConnection *connection = connect_to();
    jsCtx *js = context(connection);
    char *payload = calloc(1, (size_t)size);
    char id[64];
    for (long i = 0; i < count; i++) {
        int64_t stamp = now_ns();
        memcpy(payload, &stamp, sizeof stamp);
        natsMsg *message = NULL;
        natsStatus status = natsMsg_Create(&message, subject, NULL, payload, (int)size);
        if (status != NATS_OK) fail("natsMsg_Create", status);
        snprintf(id, sizeof id, "bench.1.%ld", i);
        natsMsgHeader_Set(message, "Nats-Msg-Id", id);
        status = js_PublishMsgAsync(js, &message, NULL);
        if (status != NATS_OK) fail("js_PublishMsgAsync", status);
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = 60000;
    natsStatus status = js_PublishAsyncComplete(js, &options);
    if (status != NATS_OK) fail("js_PublishAsyncComplete", status);
    free(payload);
    jsCtx_Destroy(js);
    natsConnection_Destroy(connection);
    return NULL;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: nats_role URL STREAM SUBJECT COUNT SIZE IN_FLIGHT\n");
        return 64;
    }
    url = argv[1];
    stream = argv[2];
    subject = argv[3];
    count = atol(argv[4]);
    size = atol(argv[5]);
    in_flight = atol(argv[6]);
    if (count < 1 || size < 8 || in_flight < 1) {
        fprintf(stderr, "nats_role: COUNT and IN_FLIGHT must be at least 1, SIZE at least 8\n");
        return 64;
    }

    natsConnection *connection = connect_to();
    jsCtx *js = context(connection);
    jsErrCode code = 0;
    js_DeleteStream(js, stream, NULL, &code);
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream;
    config.Subjects = &subject;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Duplicates = (int64_t)120 * 1000000000;
    natsStatus status = js_AddStream(NULL, js, &config, NULL, &code);
    if (status != NATS_OK) fail("js_AddStream", status);

    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Config.Durable = "nats-role";
    options.Config.AckPolicy = js_AckAll;
    options.Config.MaxAckPending = 4 * in_flight;
    options.Config.AckWait = (int64_t)30 * 1000000000;
    natsSubscription *subscription = NULL;
    status = js_PullSubscribe(&subscription, js, subject, "nats-role", NULL, &options, &code);
    if (status != NATS_OK) fail("js_PullSubscribe", status);

    int64_t *latencies = malloc(sizeof(int64_t) * (size_t)count);
    int64_t start = now_ns();
    pthread_t thread;
    pthread_create(&thread, NULL, publisher, NULL);
    long received = 0;
    while (received < count) {
        natsMsgList list = {0};
        status = natsSubscription_Fetch(&list, subscription, (int)in_flight, 10000, &code);
        if (status == NATS_TIMEOUT) {
            fprintf(stderr, "nats_role: nothing for 10 s after %ld of %ld messages\n", received, count);
            return 69;
        }
        if (status != NATS_OK) fail("natsSubscription_Fetch", status);
        int64_t now = now_ns();
        for (int i = 0; i < list.Count && received < count; i++) {
            int64_t stamp;
            memcpy(&stamp, natsMsg_GetData(list.Msgs[i]), sizeof stamp);
            latencies[received++] = now - stamp;
        }
        if (list.Count > 0) natsMsg_Ack(list.Msgs[list.Count - 1], NULL);
        natsMsgList_Destroy(&list);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    pthread_join(thread, NULL);
    qsort(latencies, (size_t)count, sizeof(int64_t), compare);
    printf("messages %ld seconds %.6f p50_us %.1f p99_us %.1f\n", count, seconds, latencies[count / 2] / 1e3,
           latencies[(count * 99) / 100] / 1e3);
    free(latencies);
    natsSubscription_Destroy(subscription);
    js_DeleteStream(js, stream, NULL, &code);
    jsCtx_Destroy(js);
    natsConnection_Destroy(connection);
    nats_Close();
    return 0;
}
