#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon's config comes from, remembered so that a reload (SIGHUP) reads the same
/// place again: the file given with `--config`, or else `/etc/shmd/shmd.toml` if it exists, or
/// else the built-in channel `demo`.
package enum ConfigSource: Equatable, Sendable {
    /// `--config PATH`: always this file, which must exist.
    case file(String)
    /// No `--config`: the default path when it exists, the built-in config otherwise. Checked
    /// again at every reload, so a file created later is picked up by `systemctl reload shmd`.
    case defaultPath

    /// The source for an optional `--config` argument.
    package init(path: String?) {
        self = path.map(ConfigSource.file) ?? .defaultPath
    }

    /// A loaded config and what it was read from, for log lines.
    package struct Loaded: Sendable {
        package var config: DaemonConfig
        /// The file read, or `nil` for the built-in config.
        package var file: String?

        /// "FILE", or "built-in default" when no file was read.
        package var origin: String { file ?? "built-in default" }
    }

    /// Reads and validates the config now, and checks that its channels fit under this
    /// process's limits (open files, memory mappings) as they are now: at start after
    /// `FileDescriptorLimit.raiseSoftToHard()`, and at every reload.
    ///
    /// - Throws: `ConfigError` naming the file, line and key.
    package func load() throws -> Loaded {
        try load(defaultPath: ConfigLoader.defaultPath, limits: .current())
    }

    /// `load()` with the default path and the limits given, for tests.
    func load(defaultPath path: String, limits: ResourceBudget.Limits? = nil) throws -> Loaded {
        switch self {
        case let .file(path):
            return Loaded(config: try ConfigLoader.load(path: path, limits: limits), file: path)
        case .defaultPath:
            // Only a path with nothing at all there means "no config": a dangling or looping
            // symlink, or a directory that cannot be searched, is an error to report, not a
            // reason to serve the built-in channel instead of the one the admin meant.
            guard ConfigFileReader.exists(path) else { return Loaded(config: .builtIn, file: nil) }
            return Loaded(config: try ConfigLoader.load(path: path, limits: limits), file: path)
        }
    }
}
