import ShmDaemon
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// The credentials file a bridge's `credentials` key names: a NATS `.creds` file (a user JWT
/// and its nkey seed, as `nsc` writes it), or a small TOML file with `user` and `password`, or
/// `token`. It must not be readable by others: a secret anyone can read is no secret.
package enum CredentialsFile {
    /// The credentials in the file at `path`.
    ///
    /// - Throws: `ConfigError` naming the file and the fix.
    package static func load(path: String, key: String) throws(ConfigError) -> NatsCredentials {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigError(
                file: path, line: nil, key: key, reason: "cannot read the credentials file: \(String(cString: strerror(errno))); check the path in bridge.toml")
        }
        if info.st_mode & S_IROTH != 0 {
            throw ConfigError(file: path, line: nil, key: key, reason: "the credentials file is readable by every user: chmod o-r \(path)")
        }
        let text: String
        do {
            text = try ConfigFileReader.read(path: path)
        } catch {
            throw ConfigError(file: path, line: error.line, key: key, reason: error.reason(path: path))
        }
        if text.contains("-----BEGIN NATS USER JWT-----") { return .credsFile(path) }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw ConfigError(file: path, line: nil, key: key, reason: "neither a .creds file nor TOML with user and password (or token): \(error)")
        }
        if let token = table["token"]?.string { return .token(token) }
        guard let user = table["user"]?.string, let password = table["password"]?.string else {
            throw ConfigError(
                file: path, line: nil, key: key,
                reason: "no credentials in it: write user = \"...\" and password = \"...\" (or token = \"...\"), or use a .creds file")
        }
        return .user(user, password: password)
    }
}
