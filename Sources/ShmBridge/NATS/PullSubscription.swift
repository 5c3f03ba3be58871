import CNats

/// A pull consumer's subscription (`natsSubscription`): fetches batches of messages.
package final class PullSubscription {
    let handle: OpaquePointer
    /// `consumer 'B' of stream 'S'`, for errors.
    package let name: String

    init(handle: OpaquePointer, name: String) {
        self.handle = handle
        self.name = name
    }

    deinit {
        // Unsubscribing would delete nothing (the consumer is durable); destroying frees it.
        natsSubscription_Destroy(handle)
    }

    /// Fetches up to `batch` messages, waiting up to `timeoutMilliseconds` for the first, and
    /// lends them to `body` in order; they are freed when it returns.
    ///
    /// - Returns: how many there were (0 at the timeout).
    /// - Throws: `NatsError` other than a timeout, or what `body` throws.
    @discardableResult
    package func fetch(batch: Int, timeoutMilliseconds: Int64, _ body: ([NatsMessage]) throws -> Void) throws -> Int {
        var list = natsMsgList()
        var code = jsErrCode(0)
        let status = natsSubscription_Fetch(&list, handle, Int32(batch), timeoutMilliseconds, &code)
        // Whatever the status: a fetch that failed may still have handed over a list.
        defer { natsMsgList_Destroy(&list) }
        if status == NATS_TIMEOUT { return 0 }
        try check(status, "natsSubscription_Fetch", name, jetStreamCode: code)
        // The list holds `batch` entries at most; libnats 3.4.1 was seen under ASan to report
        // more after a reconnect (issue 15), and nothing past the batch is read.
        let count = min(Int(list.Count), batch)
        let messages = (0..<count).compactMap { index in list.Msgs[index].map { NatsMessage(handle: $0, directSequence: nil) } }
        try body(messages)
        return messages.count
    }
}
