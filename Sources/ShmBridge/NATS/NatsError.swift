import CNats
import ShmKit

/// A libnats call that failed: which call, on which object (a server list, a stream, a
/// subject), libnats's status and its last error text, and JetStream's error code when the
/// server gave one. Every wrapper in this folder throws it, as the POSIX wrappers throw
/// `SystemCallError`.
package struct NatsError: Error, CustomStringConvertible, Sendable {
    /// The libnats function, e.g. `js_AddStream`.
    package let call: String
    /// What it was about: `stream 'ORDERS'`, `nats://10.0.0.2:4222`.
    package let object: String
    /// libnats's status code.
    package let status: UInt32
    /// JetStream's error code (0 when the server sent none).
    package let jetStreamCode: Int
    /// libnats's text for the failure.
    package let text: String

    init(call: String, object: String, status: natsStatus, jetStreamCode: jsErrCode = jsErrCode(0)) {
        self.call = call
        self.object = object
        self.status = status.rawValue
        self.jetStreamCode = Int(jetStreamCode.rawValue)
        // The thread's last error says more than the status's name (the server's own words).
        var last = NATS_OK
        let detail = nats_GetLastError(&last).map { String(cString: $0) } ?? ""
        let name = String(cString: natsStatus_GetText(status))
        self.text = detail.isEmpty || last != status ? name : detail
    }

    package var description: String {
        let code = jetStreamCode != 0 ? " (JetStream error \(jetStreamCode))" : ""
        return "\(call) on \(object): \(text)\(code)"
    }

    /// The server refused the credentials, or the user may not do this.
    package var isPermission: Bool {
        status == NATS_CONNECTION_AUTH_FAILED.rawValue || status == NATS_NOT_PERMITTED.rawValue
            || text.localizedLowercase.contains("authorization")
    }

    /// No server answered (yet): worth retrying.
    package var isUnreachable: Bool {
        status == NATS_NO_SERVER.rawValue || status == NATS_CONNECTION_CLOSED.rawValue
            || status == NATS_CONNECTION_DISCONNECTED.rawValue || status == NATS_TIMEOUT.rawValue
            || status == NATS_IO_ERROR.rawValue || status == NATS_NO_RESPONDERS.rawValue
            // Published while reconnecting, with the reconnect buffer full (or none kept).
            || status == NATS_INSUFFICIENT_BUFFER.rawValue
            // A pull request the server ended with a 409 status because it is going away (a
            // restart) or the stream's leader moved: nothing was acknowledged, and the
            // consumer delivers again.
            || (status == NATS_ERR.rawValue && (text.contains("Server Shutdown") || text.contains("Leadership Change")))
    }

    /// A stream, consumer or message that is not there.
    package var isNotFound: Bool {
        status == NATS_NOT_FOUND.rawValue || jetStreamCode == 10059 || jetStreamCode == 10014 || jetStreamCode == 10037
    }

    /// The TLS handshake failed (the certificate does not check out against the CA or the
    /// name), or the config asks for TLS and the server does not offer it: a configuration to
    /// fix, not to retry.
    package var isTLS: Bool {
        status == NATS_SSL_ERROR.rawValue || status == NATS_SECURE_CONNECTION_WANTED.rawValue
    }

    /// The config asks for TLS and the server does not offer it.
    package var isTLSNotOffered: Bool { status == NATS_SECURE_CONNECTION_WANTED.rawValue }

    /// The exit status a command ends with for this failure (sysexits).
    package var exitCode: SysExit {
        if isPermission { return .permissionDenied }
        if isTLS { return .config }
        if isUnreachable { return .unavailable }
        return .unavailable
    }
}

/// Turns a libnats status into a thrown `NatsError`.
@inline(__always)
func check(_ status: natsStatus, _ call: String, _ object: @autoclosure () -> String, jetStreamCode: jsErrCode = jsErrCode(0)) throws(NatsError) {
    if status != NATS_OK { throw NatsError(call: call, object: object(), status: status, jetStreamCode: jetStreamCode) }
}
