import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// What `shmctl gc` removes: the objects of channels whose shmd is proven gone
/// (`DaemonLiveness`). A live channel, a file without shmd's magic, and a seed layout's objects
/// while their descriptor's shmd lives are never candidates.
package enum StaleChannels {
    /// A channel left behind, and its objects that exist.
    package struct Stale: Equatable, Sendable {
        package let found: FoundChannel
        package let reason: String
        /// The segment first (clients look it up first), then its semaphores; for a seed
        /// channel, the seed's objects too.
        package let objects: [IPCObject]
        /// Objects the header names that are left alone, and why.
        package let kept: [String]
    }

    /// The outcome of a search.
    package struct Survey: Sendable {
        package var stale: [Stale] = []
        package var live: [FoundChannel] = []
    }

    /// Looks at every channel under `prefix` (`nil`: every prefix) in /dev/shm.
    package static func survey(prefix: String?) -> Survey {
        var survey = Survey()
        for found in ChannelDiscovery.channels(prefix: prefix) {
            guard let stale = stale(found) else {
                survey.live.append(found)
                continue
            }
            survey.stale.append(stale)
        }
        return survey
    }

    /// `found` as a stale channel, or `nil` when its daemon may still run.
    static func stale(_ found: FoundChannel) -> Stale? {
        let path = ChannelDiscovery.directory + "/" + found.file
        guard let page = HeaderPage(path: path), case let .gone(reason) = DaemonLiveness(of: page.header) else { return nil }
        let names = try? ChannelNames(prefix: found.prefix, channel: found.channel)
        var objects: [IPCObject] = [.segment("/" + found.file)]
        var kept: [String] = []
        switch found.kind {
        case .ring:
            if let names { objects += [.semaphore(names.semaphoreEmpty), .semaphore(names.semaphoreFull)] }
        case .seed:
            // The names come from the header, which anyone with write access could have pointed
            // at another user's object: only regular files of the descriptor's owner go.
            let owner = (try? ObjectOwnership.of(path: path))?.owner
            let seed = page.header.seedNames
            for object in [IPCObject.segment(seed.segment), .semaphore(seed.semaphoreEmpty), .semaphore(seed.semaphoreFull)] {
                guard (try? ChannelNames.validate(objectName: object.name)) != nil else {
                    kept.append("'\(object.name)': not a valid object name")
                    continue
                }
                guard let found = try? object.ownership() else { continue }
                guard case .regular = found.type, found.owner == owner else {
                    kept.append("\(object.path): \(found), not a file of the descriptor's owner")
                    continue
                }
                objects.append(object)
            }
        }
        return Stale(found: found, reason: reason, objects: objects.filter(\.exists), kept: kept)
    }
}
