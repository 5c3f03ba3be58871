import CNats

/// A pull consumer's subscription (`natsSubscription`): fetches batches of messages.
///
/// ## libnats 3.4.1's fetch overflow, and how it is kept away
///
/// `natsSubscription_Fetch` in libnats 3.4.1 (Debian 12's) first takes the `k` messages already
/// queued on the subscription, then asks the server for `batch - k` more, but stores that
/// smaller number as the batch it loops to: with `batch / 2 <= k < batch` the count is already
/// past it, never equals it, and the loop goes on until a status message or the deadline. When
/// more messages than it asked for arrive meanwhile (answers to other requests), it writes them
/// past its `batch`-entry array: heap corruption (`malloc_consolidate(): invalid chunk size`,
/// SIGABRT, in issue 15's outage test). nats.c fixed it upstream (nats-io/nats.c#749, in 3.8.3).
///
/// Messages are queued outside a fetch only by a pull request that outlived its fetch, so:
///
/// - **No request is queued while the link is down.** The in-bridge's connection keeps no
///   reconnect buffer (`NatsConnection(bufferWhileReconnecting: false)`), and `fetch` does not
///   ask while disconnected: otherwise each 200 ms fetch of an outage leaves a request in the
///   buffer, and after the reconnect the server answers all of them at once. (A size of 0 is
///   taken literally by libnats 3.4.1's publish, whatever nats.h says of 0 meaning the default;
///   1 would let one request in.)
/// - **What a late answer queued is taken with a batch of 1.** With one message asked, `k` is 0
///   or 1: the overflow needs `k` from half the batch to below the batch. `fetch` looks at
///   the queue first and, while it holds anything, fetches one at a time.
///
/// What remains is a late answer that starts arriving in the microseconds between that look and
/// libnats taking the subscription's lock, and reaches half a batch before the
/// fetch's first loop drains it; it needs a request that outlived its fetch (a timeout at the
/// client before the server's, or a link lost and restored with the server up) at that moment.
package final class PullSubscription {
    let handle: OpaquePointer
    let connection: NatsConnection
    /// `consumer 'B' of stream 'S'`, for errors.
    package let name: String

    init(handle: OpaquePointer, connection: NatsConnection, name: String) {
        self.handle = handle
        self.connection = connection
        self.name = name
    }

    deinit {
        // Unsubscribing would delete nothing (the consumer is durable); destroying frees it.
        natsSubscription_Destroy(handle)
    }

    /// How many messages (status messages included) wait on the subscription outside a fetch.
    var queued: Int {
        var messages: Int32 = 0
        var bytes: Int32 = 0
        guard natsSubscription_GetPending(handle, &messages, &bytes) == NATS_OK else { return 0 }
        return Int(messages)
    }

    /// Fetches up to `batch` messages, waiting up to `timeoutMilliseconds` for the first, and
    /// lends them to `body` in order; they are freed when it returns.
    ///
    /// It fetches a single message while the subscription holds messages from an earlier
    /// request (see the type's discussion of libnats 3.4.1).
    ///
    /// - Returns: how many there were (0 at the timeout).
    /// - Throws: `NatsError` other than a timeout (`isUnreachable` while the connection is
    ///   down, without asking), or what `body` throws.
    @discardableResult
    package func fetch(batch: Int, timeoutMilliseconds: Int64, _ body: ([NatsMessage]) throws -> Void) throws -> Int {
        guard connection.isConnected else {
            throw NatsError(call: "natsSubscription_Fetch", object: "\(name) (not connected to \(connection.servers))", status: NATS_CONNECTION_DISCONNECTED)
        }
        let asked = queued > 0 ? 1 : batch
        var list = natsMsgList()
        var code = jsErrCode(0)
        let status = natsSubscription_Fetch(&list, handle, Int32(asked), timeoutMilliseconds, &code)
        // Whatever the status: a fetch that failed may still have handed over a list.
        defer { natsMsgList_Destroy(&list) }
        if status == NATS_TIMEOUT { return 0 }
        try check(status, "natsSubscription_Fetch", name, jetStreamCode: code)
        // Never past what was asked, even if the count says more (it did, before the above).
        let count = min(Int(list.Count), asked)
        let messages = (0..<count).compactMap { index in list.Msgs[index].map { NatsMessage(handle: $0, directSequence: nil) } }
        try body(messages)
        return messages.count
    }
}
