import CNats

/// How shm-bridge checks a NATS server's TLS certificate, when the config asks for TLS
/// (`tls-ca` with `tls-hostname`, `tls-hostname` alone, or a `tls://` server URL).
///
/// Without it libnats 3.4.1 still uses TLS when the server requires it, trusting the system's CA
/// certificates and checking no name (it reads nothing from a URL's `tls://`). With it the
/// connection must be TLS: a server that does not require it is refused
/// (`NATS_SECURE_CONNECTION_WANTED`), never used in plain text.
package struct NatsTLS: Sendable, Equatable {
    /// A PEM file of CA certificates to trust, besides the system's (libnats adds it to them).
    package var caFile: String?
    /// The name the servers' certificate must carry. libnats 3.4.1 checks a name only when it
    /// is given one, whatever the URL.
    package var hostname: String?

    package init(caFile: String?, hostname: String?) {
        self.caFile = caFile
        self.hostname = hostname
    }

    func apply(to options: OpaquePointer, servers: String) throws(NatsError) {
        try check(natsOptions_SetSecure(options, true), "natsOptions_SetSecure", servers)
        if let caFile {
            try check(natsOptions_LoadCATrustedCertificates(options, caFile), "natsOptions_LoadCATrustedCertificates", caFile)
        }
        if let hostname {
            try check(natsOptions_SetExpectedHostname(options, hostname), "natsOptions_SetExpectedHostname", hostname)
        }
    }
}
