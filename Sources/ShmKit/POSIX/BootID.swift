/// The kernel's identifier of the current boot (`/proc/sys/kernel/random/boot_id`), so that a
/// daemon pid recorded in a header is only compared with processes of the same boot.
package struct BootID: Equatable, Sendable, CustomStringConvertible {
    package let high: UInt64
    package let low: UInt64

    /// This boot's id; all zero when /proc does not say.
    package static let current: BootID = {
        let text = Syscall.readSmallFile("/proc/sys/kernel/random/boot_id") ?? ""
        let digits = text.compactMap { $0.hexDigitValue }.map(UInt64.init)
        guard digits.count == 32 else { return BootID(high: 0, low: 0) }
        let high = digits[..<16].reduce(0) { $0 << 4 | $1 }
        let low = digits[16...].reduce(0) { $0 << 4 | $1 }
        return BootID(high: high, low: low)
    }()

    package var description: String {
        String(high, radix: 16) + String(low, radix: 16)
    }
}
