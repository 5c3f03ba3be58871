import CNats

/// How shm-bridge checks a NATS server's TLS certificate, when the config asks for TLS.
///
/// Without it libnats still uses TLS when the server requires it (or for `tls://` URLs), and
/// trusts the system's CA certificates. With it the connection must be TLS: a server that does
/// not offer it is refused (`NATS_SECURE_CONNECTION_WANTED`), never used in plain text.
package struct NatsTLS: Sendable, Equatable {
    /// A PEM file of the CA certificates to trust instead of the system's.
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
