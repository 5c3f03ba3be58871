import Foundation
import Glibc

/// Polls `condition` every `interval` microseconds until it holds or `seconds` pass.
///
/// - Returns: whether it held in time.
public func waitUntil(seconds: Double, interval: useconds_t = 2_000, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(interval)
    }
    return true
}
