import Synchronization

/// A setting that an admin can change while aigw runs (Admin.UpdateConfig): readers take the value in force at the
/// moment they read it, a change replaces it for every later reader, and nothing restarts.
///
/// Readers copy the value out under a lock held for that copy only, so a hot path pays one uncontended lock.
public final class LiveSetting<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) {
        self.value = Mutex(value)
    }

    public var current: Value { value.withLock { $0 } }

    public func replace(with new: Value) {
        value.withLock { $0 = new }
    }
}
