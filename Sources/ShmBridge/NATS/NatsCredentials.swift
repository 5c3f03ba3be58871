import CNats

/// How shm-bridge logs in to NATS, read from the file the config names (never from the command
/// line, where `ps` would show it).
package enum NatsCredentials: Sendable, Equatable {
    /// A user and password.
    case user(String, password: String)
    /// A token.
    case token(String)
    /// A `.creds` file (a user JWT and its nkey seed), as `nsc` writes it: libnats reads it.
    case credsFile(String)

    func apply(to options: OpaquePointer, servers: String) throws(NatsError) {
        switch self {
        case let .user(user, password):
            try check(natsOptions_SetUserInfo(options, user, password), "natsOptions_SetUserInfo", servers)
        case let .token(token):
            try check(natsOptions_SetToken(options, token), "natsOptions_SetToken", servers)
        case let .credsFile(path):
            try check(natsOptions_SetUserCredentialsFromFiles(options, path, nil), "natsOptions_SetUserCredentialsFromFiles", path)
        }
    }
}
