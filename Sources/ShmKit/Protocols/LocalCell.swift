/// A process-local value of an attachment at a fixed address for as long as the attachment
/// lives (a `SpinBudget`, a `FreeSlotRun`), so that `FastRing`, a struct copied on every
/// operation, can keep a plain pointer to it: no reference counting and no exclusivity check on
/// the hot path. The value is for one thread at a time, as the writer or reader that owns it is.
final class LocalCell<Value> {
    let pointer: UnsafeMutablePointer<Value>

    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}
