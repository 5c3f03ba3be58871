import ShmBridge
import ShmDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The drop-in that opens shm-bridge@NAME.service's network to the bridge's NATS servers and
/// nothing else: the unit denies every address but loopback (`IPAddressDeny=any`), and
/// `IPAddressAllow=` cannot come from the config at run time, so it is derived from it here,
/// once, by `shm-bridge --print-drop-in NAME`.
enum NetworkDropIn {
    /// The drop-in's text for `bridge` of config file `file`.
    ///
    /// - Throws: `ConfigError` naming a server whose host does not resolve, and the fix.
    static func text(for bridge: BridgeConfig, file: String) throws(ConfigError) -> String {
        var lines = [
            "# shm-bridge@\(bridge.name).service: network access to its NATS servers only, from \(file).",
            "# Written by `shm-bridge --print-drop-in \(bridge.name)`: run it again when the servers change.",
        ]
        var addresses: [String] = []
        for server in bridge.servers {
            let host = self.host(of: server)
            let found = try resolve(host, server: server, file: file)
            if found != [host] { lines.append("# \(host) resolved to \(found.joined(separator: ", ")) now; a name that moves needs this run again") }
            for address in found where !addresses.contains(address) { addresses.append(address) }
        }
        lines.append("[Service]")
        lines += addresses.map { "IPAddressAllow=\($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The host of `nats://[user:password@]host[:port]`, without an IPv6 literal's brackets.
    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<close]) }
        return String(rest.prefix { $0 != ":" && $0 != "/" })
    }

    /// Every address `host` resolves to (itself when it is one), IPv4 and IPv6.
    private static func resolve(_ host: String, server: String, file: String) throws(ConfigError) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            throw ConfigError(
                file: file, line: nil, key: "servers",
                reason: "cannot resolve '\(host)' of \(server): \(String(cString: gai_strerror(status))); give an address, or fix the name")
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                if !addresses.contains(address) { addresses.append(address) }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
