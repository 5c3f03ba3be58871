import CNats

/// A received message, lent by `PullSubscription.fetch` or `JetStream.message`: valid only
/// inside the closure it was given to.
package struct NatsMessage {
    let handle: OpaquePointer
    /// The stream sequence, when the message was read directly by sequence.
    let directSequence: UInt64?

    /// The payload.
    package var data: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: natsMsg_GetData(handle), count: Int(natsMsg_GetDataLength(handle)))
    }

    /// The subject it was published to.
    package var subject: String { String(cString: natsMsg_GetSubject(handle)) }

    /// Its sequence in the stream, from the delivery's metadata.
    ///
    /// - Throws: `NatsError` when the message did not come from JetStream.
    package func streamSequence() throws(NatsError) -> UInt64 {
        if let directSequence { return directSequence }
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        try check(natsMsg_GetMetaData(&meta, handle), "natsMsg_GetMetaData", "a message on '\(subject)'")
        defer { jsMsgMetaData_Destroy(meta) }
        return meta!.pointee.Sequence.Stream
    }

    /// Acknowledges it (with `AckAll`: it and every earlier message of the consumer).
    package func acknowledge() throws(NatsError) {
        try check(natsMsg_Ack(handle, nil), "natsMsg_Ack", "a message on '\(subject)'")
    }
}
