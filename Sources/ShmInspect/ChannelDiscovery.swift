import ShmKit

#if canImport(Glibc)
import Glibc
#endif

/// Finds shmd's channels in a shared-memory directory by their header magic, without asking
/// any daemon: every regular file whose first 8 bytes are "SHMDRING" or "SHMDSEED".
///
/// A file is named `PREFIX.CHANNEL`, and both may contain dots; with a prefix given, a file
/// belongs to it when it starts with `PREFIX.`; without one, the prefix is taken up to the first
/// dot. Semaphores (`sem.*`) have no magic and are never candidates.
package enum ChannelDiscovery {
    /// Where glibc puts POSIX shared memory.
    package static let directory = "/dev/shm"

    /// The channels in `directory` under `prefix` (`nil`: under any prefix), sorted by file name.
    package static func channels(prefix: String?, directory: String = directory) -> [FoundChannel] {
        candidates(prefix: prefix, directory: directory).compactMap { name, prefix, channel in
            guard let kind = magic(of: directory + "/" + name) else { return nil }
            return FoundChannel(prefix: prefix, channel: channel, kind: kind)
        }
    }

    /// Every file of `directory` that could be a channel's segment under `prefix`: its name,
    /// prefix and channel, sorted by name. Whether it is one is for its magic to say.
    package static func candidates(prefix: String?, directory: String = directory) -> [(name: String, prefix: String, channel: String)] {
        FileList.names(in: directory).sorted().compactMap { name in
            guard !name.hasPrefix("sem.") else { return nil }
            let split: (String, String)?
            if let prefix {
                split = name.hasPrefix(prefix + ".") ? (prefix, String(name.dropFirst(prefix.count + 1))) : nil
            } else if let dot = name.firstIndex(of: ".") {
                split = (String(name[..<dot]), String(name[name.index(after: dot)...]))
            } else {
                split = nil
            }
            guard let (prefix, channel) = split, (try? ChannelNames(prefix: prefix, channel: channel)) != nil else { return nil }
            return (name, prefix, channel)
        }
    }

    /// The kind the file at `path` says it is by its first 8 bytes, or `nil` when it is not a
    /// regular file with shmd's magic. Opened without following a link and without blocking
    /// (a planted FIFO), and read, never mapped.
    package static func magic(of path: String) -> ChannelKind? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var word: UInt64 = 0
        guard pread(fd, &word, 8, 0) == 8 else { return nil }
        switch UInt64(littleEndian: word) {
        case Layout.ringMagic: return .ring
        case Layout.seedMagic: return .seed
        default: return nil
        }
    }
}

/// The names in a directory, without `.` and `..`; none when it cannot be read.
enum FileList {
    static func names(in directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
