import CNats

#if canImport(Glibc)
import Glibc
#endif

/// What a NATS connection's state became, as libnats's callbacks report it.
package enum NatsConnectionEvent: Sendable, Equatable {
    /// The link to the server was lost; libnats reconnects by itself, with `NatsBackoff`.
    case disconnected
    /// Connected again, to this server.
    case reconnected(server: String)
    /// The connection is closed for good (no more reconnects).
    case closed
}

/// One connection to a NATS server (or cluster), over libnats: `natsConnection`.
///
/// libnats keeps it alive: after a disconnect it reconnects for ever, waiting
/// `NatsBackoff.milliseconds(attempt:)` between attempts, and buffers what is published
/// meanwhile. The first connect is the caller's to retry (`connect` throws), so that wrong
/// credentials end the program rather than being retried for ever.
///
/// `@unchecked Sendable`: libnats's connection is thread-safe; the stored properties are
/// constants.
package final class NatsConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// The servers, for error messages.
    package let servers: String

    /// Connects to the first server of `servers` that answers.
    ///
    /// - Parameters:
    ///   - servers: `nats://host:port` URLs.
    ///   - name: the client's name, as the server's monitoring shows it.
    ///   - credentials: how to log in, if the server asks.
    ///   - tls: the TLS the connection must use (and how to check the server), if the config
    ///     asks for it.
    ///   - timeoutMilliseconds: how long one connect attempt may take.
    ///   - bufferWhileReconnecting: whether what is published while the link is down is kept
    ///     for the next server (libnats's default, 8 MB), or refused at once
    ///     (`NATS_INSUFFICIENT_BUFFER`, `isUnreachable`). A pull consumer must refuse: a pull
    ///     request kept for later is answered after its fetch gave up (see `PullSubscription`).
    ///   - events: called (on a libnats thread) on each change of the connection's state.
    /// - Throws: `NatsError`: `isPermission` for refused credentials, `isTLS` for a certificate
    ///   that does not check out (or a server without the TLS asked for), `isUnreachable` when
    ///   no server answered.
    package init(
        servers: [String], name: String, credentials: NatsCredentials?, tls: NatsTLS? = nil, timeoutMilliseconds: Int64 = 2000,
        bufferWhileReconnecting: Bool = true, events: @escaping @Sendable (NatsConnectionEvent) -> Void
    ) throws(NatsError) {
        self.servers = servers.joined(separator: ",")
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create", self.servers)
        guard let options else { throw NatsError(call: "natsOptions_Create", object: self.servers, status: NATS_NO_MEMORY) }
        defer { natsOptions_Destroy(options) }
        let urls = servers.map { strdup($0) }
        defer { for url in urls { free(url) } }
        var constURLs = urls.map { UnsafePointer<CChar>($0) }
        try check(natsOptions_SetServers(options, &constURLs, Int32(urls.count)), "natsOptions_SetServers", self.servers)
        try check(natsOptions_SetName(options, name), "natsOptions_SetName", name)
        try check(natsOptions_SetTimeout(options, timeoutMilliseconds), "natsOptions_SetTimeout", self.servers)
        // Reconnect for ever: a bridge that gives up has to be restarted by hand.
        try check(natsOptions_SetMaxReconnect(options, -1), "natsOptions_SetMaxReconnect", self.servers)
        try check(
            natsOptions_SetCustomReconnectDelay(options, { _, attempts, _ in NatsBackoff.milliseconds(attempt: Int(attempts)) }, nil),
            "natsOptions_SetCustomReconnectDelay", self.servers)
        // A quick ping notices a dead server in seconds rather than the default two minutes.
        try check(natsOptions_SetPingInterval(options, 1000), "natsOptions_SetPingInterval", self.servers)
        if !bufferWhileReconnecting {
            try check(natsOptions_SetReconnectBufSize(options, 0), "natsOptions_SetReconnectBufSize", self.servers)
        }
        try credentials?.apply(to: options, servers: self.servers)
        try tls?.apply(to: options, servers: self.servers)
        // The box outlives the connection on purpose: libnats may call the closed handler from
        // its own thread after natsConnection_Destroy returned. One per connection, a few bytes.
        let context = Unmanaged.passRetained(EventBox(events)).toOpaque()
        try check(
            natsOptions_SetDisconnectedCB(options, { _, box in EventBox.from(box)?.send(.disconnected) }, context), "natsOptions_SetDisconnectedCB",
            self.servers)
        try check(
            natsOptions_SetReconnectedCB(
                options,
                { connection, box in
                    EventBox.from(box)?.send(.reconnected(server: connection.map(NatsConnection.connectedURL) ?? "?"))
                }, context), "natsOptions_SetReconnectedCB", self.servers)
        try check(natsOptions_SetClosedCB(options, { _, box in EventBox.from(box)?.send(.closed) }, context), "natsOptions_SetClosedCB", self.servers)
        var connection: OpaquePointer?
        try check(natsConnection_Connect(&connection, options), "natsConnection_Connect", self.servers)
        guard let connection else { throw NatsError(call: "natsConnection_Connect", object: self.servers, status: NATS_ERR) }
        handle = connection
    }

    deinit {
        natsConnection_Destroy(handle)
    }

    /// Whether the link is up now (not reconnecting, not closed).
    package var isConnected: Bool { natsConnection_Status(handle) == NATS_CONN_STATUS_CONNECTED }

    /// The server this connection uses now.
    package var connectedServer: String { Self.connectedURL(handle) }

    static func connectedURL(_ connection: OpaquePointer) -> String {
        var url = [UInt8](repeating: 0, count: 256)
        let status = url.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { natsConnection_GetConnectedUrl(connection, $0.baseAddress, $0.count) }
        }
        guard status == NATS_OK else { return "?" }
        return String(decoding: url.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    /// Publishes `bytes` to `subject` (core NATS: at most once).
    package func publish(subject: String, bytes: UnsafeRawBufferPointer) throws(NatsError) {
        try check(natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count)), "natsConnection_Publish", "subject '\(subject)'")
    }

    /// Waits until the server has everything published so far.
    package func flush(timeoutMilliseconds: Int64) throws(NatsError) {
        try check(natsConnection_FlushTimeout(handle, timeoutMilliseconds), "natsConnection_FlushTimeout", servers)
    }

    /// Closes the connection; libnats stops reconnecting.
    package func close() {
        natsConnection_Close(handle)
    }
}

/// The events closure, reachable from a C callback's closure pointer.
private final class EventBox: Sendable {
    let send: @Sendable (NatsConnectionEvent) -> Void
    init(_ send: @escaping @Sendable (NatsConnectionEvent) -> Void) { self.send = send }
    static func from(_ pointer: UnsafeMutableRawPointer?) -> EventBox? {
        pointer.map { Unmanaged<EventBox>.fromOpaque($0).takeUnretainedValue() }
    }
}
