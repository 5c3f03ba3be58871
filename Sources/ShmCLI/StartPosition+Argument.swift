import ArgumentParser
import ShmKit

/// `--from next` or `--from oldest` (`shm-reader`, `shm-bench`).
extension StartPosition: ExpressibleByArgument {}
