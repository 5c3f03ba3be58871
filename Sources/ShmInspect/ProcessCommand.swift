import ShmKit

/// A process's command name, `/proc/PID/comm` (15 bytes at most, as the kernel keeps it).
package enum ProcessCommand {
    package static func name(of pid: Int32) -> String? {
        guard pid > 0, let text = Syscall.readSmallFile("/proc/\(pid)/comm") else { return nil }
        let name = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return name.isEmpty ? nil : name
    }
}
