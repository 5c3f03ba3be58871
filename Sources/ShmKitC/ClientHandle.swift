import ShmKit

/// A client the C API hands out as an opaque handle (`shmkit_writer *`, `shmkit_reader *`).
protocol HandledClient: AnyObject {
    /// "writer" or "reader", as the C names and the errors say it.
    static var role: String { get }
    /// Gives up what the client holds between two calls (a claimed slot, a borrowed message),
    /// before it detaches.
    func giveUpHeld()
}

extension ChannelWriter: HandledClient {
    static var role: String { "writer" }
    func giveUpHeld() { abandonClaim() }
}

extension ChannelReader: HandledClient {
    static var role: String { "reader" }
    func giveUpHeld() {
        if hasBorrow { try? releaseBorrowed() }
    }
}

/// What a handle points to: the client while the handle is open, and the channel's name for
/// the errors of calls on a closed handle. The handle is retained from `make` until `free`.
final class ClientHandle<Client: HandledClient> {
    let channel: String
    private var client: Client?

    private init(channel: String, client: Client) {
        self.channel = channel
        self.client = client
    }

    /// A new handle for `client`, retained until `free`.
    static func make(_ client: Client, channel: String) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(ClientHandle(channel: channel, client: client)).toOpaque())
    }

    /// The open client of the handle `pointer`.
    ///
    /// - Throws: `ChannelError.invalidUse` for NULL or a closed handle.
    @inline(__always)
    static func open(_ pointer: OpaquePointer?) throws -> Client {
        guard let pointer else { throw ChannelError.invalidUse(channel: "?", reason: "the \(Client.role) is NULL") }
        let handle = Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        guard let client = handle.client else {
            throw ChannelError.invalidUse(channel: handle.channel, reason: "the \(Client.role) was closed (shmkit_\(Client.role)_close)")
        }
        return client
    }

    /// Detaches the client of `pointer`, giving up what it holds first; NULL and a closed
    /// handle are fine.
    static func close(_ pointer: OpaquePointer?) {
        guard let pointer else { return }
        let handle = Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        handle.client?.giveUpHeld()
        handle.client = nil
    }

    /// Closes the handle `pointer` and releases it; NULL is fine.
    static func free(_ pointer: OpaquePointer?) {
        guard let pointer else { return }
        close(pointer)
        Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }
}

typealias WriterHandle = ClientHandle<ChannelWriter>
typealias ReaderHandle = ClientHandle<ChannelReader>
