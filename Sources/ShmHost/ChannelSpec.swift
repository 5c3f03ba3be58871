import ShmKit

/// Everything the daemon needs to create one channel.
package struct ChannelSpec: Equatable, Sendable {
    /// How the channel's memory is laid out.
    package enum Layout: Equatable, Sendable {
        /// shmd's own ring of `slots` slots of `slotSize` payload bytes.
        case ring(slots: Int, slotSize: Int, protocol: ChannelProtocol)
        /// Byte-compatible with the seed's `shm_sem.h`: one 1024-byte buffer and two semaphores,
        /// under the names the config gives.
        case seed(segment: String, semaphoreEmpty: String, semaphoreFull: String)
    }

    package var name: String
    package var layout: Layout
    package var permissions: ObjectPermissions
    /// How long a fast-protocol client spins before it blocks (ring only).
    package var spinNanoseconds: UInt64
    /// How many clients may attach at once (`max-clients`): one entry each in the client table,
    /// where shmd finds what a dead client held.
    package var clientCapacity: Int
    /// `stuck-after`: seconds a client may hold a slot before shmd reports it stuck. It can
    /// change on reload, in place, as the permissions can.
    package var stuckAfterSeconds: Double
    /// Who gets each message (`delivery`, and `slow-reader` for fan-out); ring channels of the
    /// fast protocol only may fan out.
    package var delivery: Delivery

    package init(
        name: String, layout: Layout, permissions: ObjectPermissions = ObjectPermissions(),
        spinNanoseconds: UInt64 = ShmKit.Layout.defaultSpinNanoseconds,
        clientCapacity: Int = ShmKit.Layout.defaultClientCapacity,
        stuckAfterSeconds: Double = ShmKit.Layout.defaultStuckAfterSeconds,
        delivery: Delivery = .queue
    ) {
        self.stuckAfterSeconds = stuckAfterSeconds
        self.delivery = delivery
        self.name = name
        self.layout = layout
        self.permissions = permissions
        self.spinNanoseconds = spinNanoseconds
        self.clientCapacity = clientCapacity
    }

    /// Bytes of /dev/shm the channel occupies (segments only; a semaphore takes one page more each).
    package var sharedMemoryBytes: Int {
        switch layout {
        case .ring: return geometry.totalSize
        case .seed: return geometry.totalSize + ShmKit.Layout.seedBufferSize
        }
    }

    /// The ring's geometry, `nil` for a seed channel: what the daemon created and keeps.
    var ringGeometry: RingGeometry? { geometry.ring }

    /// The geometry of the channel's segment, as shmd creates it.
    var geometry: ChannelGeometry {
        guard case let .ring(slots, slotSize, _) = layout else {
            return ChannelGeometry(clientCapacity: clientCapacity, ring: nil)
        }
        return ChannelGeometry(
            clientCapacity: clientCapacity,
            ring: RingGeometry(slotCount: slots, slotSize: slotSize, clientCapacity: clientCapacity))
    }

    /// Every POSIX IPC object the channel uses under `prefix`, the segment clients look up first.
    package func objects(prefix: String) throws -> [IPCObject] {
        let names = try ChannelNames(prefix: prefix, channel: name)
        switch layout {
        case .ring:
            return [.segment(names.segment), .semaphore(names.semaphoreEmpty), .semaphore(names.semaphoreFull)]
        case let .seed(segment, empty, full):
            return [.segment(names.segment), .segment(segment), .semaphore(empty), .semaphore(full)]
        }
    }
}
