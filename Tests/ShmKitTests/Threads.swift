import Foundation

/// Runs each closure on a thread of its own and waits for all of them, at most `seconds`.
///
/// Real threads, not Dispatch's pool: these clients block, and the pool may run only as many
/// blocking work items at once as there are cores, which would starve the peers they wait for.
///
/// - Returns: whether all finished in time.
func runOnThreads(_ bodies: [@Sendable () -> Void], seconds: Double) -> Bool {
    let group = DispatchGroup()
    for body in bodies {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    return group.wait(timeout: .now() + seconds) == .success
}
