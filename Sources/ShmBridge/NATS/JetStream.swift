import Atomics
import CNats

#if canImport(Glibc)
import Glibc
#endif

/// A JetStream context on one connection (`jsCtx`): streams, asynchronous publishing with a
/// bounded number in flight, pull consumers, and direct reads of a stream's messages.
///
/// Not `Sendable`: one bridge loop owns it. libnats's ack handling runs on its own thread and
/// reaches only `failures`, an atomic counter.
package final class JetStream {
    let handle: OpaquePointer
    /// Keeps the connection alive at least as long as this context.
    package let connection: NatsConnection
    private let failures: UnsafeMutablePointer<ManagedAtomic<Int>>
    /// The most asynchronous publishes in flight at once.
    package let maxPending: Int

    /// A JetStream context on `connection` whose requests wait `timeoutMilliseconds`, and whose
    /// asynchronous publishes stop at `maxPending` in flight.
    package init(connection: NatsConnection, maxPending: Int, timeoutMilliseconds: Int64 = 5000) throws(NatsError) {
        self.connection = connection
        self.maxPending = maxPending
        failures = .allocate(capacity: 1)
        failures.initialize(to: ManagedAtomic(0))
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Wait = timeoutMilliseconds
        options.PublishAsync.MaxPending = Int64(maxPending)
        // Counted, not retried here: the caller republishes the whole window with the same
        // message ids, which JetStream's duplicate window turns into no-ops where they did land.
        options.PublishAsync.ErrHandler = { _, _, closure in
            closure?.assumingMemoryBound(to: ManagedAtomic<Int>.self).pointee.wrappingIncrement(ordering: .relaxed)
        }
        options.PublishAsync.ErrHandlerClosure = UnsafeMutableRawPointer(failures)
        var context: OpaquePointer?
        try check(natsConnection_JetStream(&context, connection.handle, &options), "natsConnection_JetStream", connection.servers)
        handle = context!
    }

    deinit {
        jsCtx_Destroy(handle)
        // libnats's threads may still hold the closure pointer briefly after a failed publish;
        // a context lives as long as the bridge, so the counter is left allocated.
    }

    // MARK: streams

    /// Makes sure stream `name` exists; creates it over `subjects` (file storage, the given
    /// duplicate window) when `create` is true.
    ///
    /// - Returns: whether it was created now.
    /// - Throws: `NatsError`, `isNotFound` when it does not exist and `create` is false.
    @discardableResult
    package func ensureStream(name: String, subjects: [String], create: Bool, duplicateWindowSeconds: Double) throws(NatsError) -> Bool {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        let status = js_GetStreamInfo(&info, handle, name, nil, &code)
        if status == NATS_OK {
            jsStreamInfo_Destroy(info)
            return false
        }
        let missing = NatsError(call: "js_GetStreamInfo", object: "stream '\(name)'", status: status, jetStreamCode: code)
        guard missing.isNotFound, create else { throw missing }
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        let cName = strdup(name)
        defer { free(cName) }
        let cSubjects = subjects.map { strdup($0) }
        defer { for subject in cSubjects { free(subject) } }
        var constSubjects = cSubjects.map { UnsafePointer<CChar>($0) }
        config.Name = UnsafePointer(cName)
        config.Storage = js_FileStorage
        config.Duplicates = Int64(duplicateWindowSeconds * 1e9)
        try constSubjects.withUnsafeMutableBufferPointer { (buffer) throws(NatsError) in
            config.Subjects = buffer.baseAddress
            config.SubjectsLen = Int32(buffer.count)
            code = jsErrCode(0)
            try check(js_AddStream(&info, handle, &config, nil, &code), "js_AddStream", "stream '\(name)'", jetStreamCode: code)
        }
        jsStreamInfo_Destroy(info)
        return true
    }

    // MARK: publishing

    /// Publishes `payload` to `subject` with header `Nats-Msg-Id: messageID`, without waiting for
    /// the acknowledgement (see `waitForAcknowledgements`). libnats copies the bytes.
    ///
    /// With `previousID`, also `Nats-Expected-Last-Msg-Id: previousID`: JetStream stores the
    /// message only if the stream's last message is that one, and rejects it (an error ack)
    /// otherwise. It checks the duplicate window first, so a republished message that had landed
    /// is still acknowledged as a duplicate.
    package func publishAsync(subject: String, payload: UnsafeRawBufferPointer, messageID: String, previousID: String? = nil) throws(NatsError) {
        var message: OpaquePointer?
        try check(natsMsg_Create(&message, subject, nil, payload.baseAddress, Int32(payload.count)), "natsMsg_Create", "subject '\(subject)'")
        var status = natsMsgHeader_Set(message, "Nats-Msg-Id", messageID)
        if status == NATS_OK, let previousID { status = natsMsgHeader_Set(message, "Nats-Expected-Last-Msg-Id", previousID) }
        if status != NATS_OK {
            natsMsg_Destroy(message)
            throw NatsError(call: "natsMsgHeader_Set", object: "subject '\(subject)'", status: status)
        }
        // On success libnats owns the message (and sets our pointer to NULL); on failure we do.
        let published = js_PublishMsgAsync(handle, &message, nil)
        if published != NATS_OK {
            natsMsg_Destroy(message)
            throw NatsError(call: "js_PublishMsgAsync", object: "subject '\(subject)'", status: published)
        }
    }

    /// Waits up to `timeoutMilliseconds` until every asynchronous publish so far is acknowledged.
    ///
    /// - Returns: `true` when all were, and none failed since the last call; `false` when some
    ///   failed or are still unacknowledged at the deadline (those are forgotten: republish them).
    package func waitForAcknowledgements(timeoutMilliseconds: Int64) -> Bool {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = timeoutMilliseconds
        let status = js_PublishAsyncComplete(handle, &options)
        if status != NATS_OK { forgetPending() }
        let failed = failures.pointee.exchange(0, ordering: .relaxed)
        return status == NATS_OK && failed == 0
    }

    /// Stops waiting for the acknowledgements of every publish in flight (they will be
    /// republished), and forgets the failures counted so far.
    package func forgetPending() {
        var list = natsMsgList()
        if js_PublishAsyncGetPendingList(&list, handle) == NATS_OK { natsMsgList_Destroy(&list) }
        failures.pointee.store(0, ordering: .relaxed)
    }

    // MARK: consuming

    /// A durable pull consumer `durable` on `stream`, filtered to `subject`, created when it
    /// does not exist: acknowledgements cover everything up to the acknowledged message
    /// (`AckAll`), at most `maxAckPending` unacknowledged, redelivered after `ackWaitSeconds`.
    package func pullSubscribe(
        stream: String, subject: String, durable: String, maxAckPending: Int, ackWaitSeconds: Double
    ) throws(NatsError) -> PullSubscription {
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        let cStream = strdup(stream)
        defer { free(cStream) }
        options.Stream = UnsafePointer(cStream)
        options.Config.AckPolicy = js_AckAll
        options.Config.MaxAckPending = Int64(maxAckPending)
        options.Config.AckWait = Int64(ackWaitSeconds * 1e9)
        options.Config.DeliverPolicy = js_DeliverAll
        var subscription: OpaquePointer?
        var code = jsErrCode(0)
        try check(
            js_PullSubscribe(&subscription, handle, subject, durable, nil, &options, &code), "js_PullSubscribe",
            "consumer '\(durable)' of stream '\(stream)'", jetStreamCode: code)
        return PullSubscription(handle: subscription!, connection: connection, name: "consumer '\(durable)' of stream '\(stream)'")
    }

    /// Message `sequence` of `stream`, read directly (not through a consumer), or `nil` when the
    /// stream has no such message (deleted, or past the end).
    package func message<T>(stream: String, sequence: UInt64, _ body: (NatsMessage) throws -> T) throws -> T? {
        var message: OpaquePointer?
        var code = jsErrCode(0)
        let status = js_GetMsg(&message, handle, stream, sequence, nil, &code)
        if status != NATS_OK {
            let error = NatsError(call: "js_GetMsg", object: "message \(sequence) of stream '\(stream)'", status: status, jetStreamCode: code)
            if error.isNotFound { return nil }
            throw error
        }
        defer { natsMsg_Destroy(message) }
        return try body(NatsMessage(handle: message!, directSequence: sequence))
    }
}
