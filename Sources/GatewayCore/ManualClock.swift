import Synchronization

/// A clock that moves only when told to, for tests of time-dependent logic.
public final class ManualClock: GatewayClock {
    private let state: Mutex<(unixMillis: Int64, monotonicNanos: UInt64)>

    public init(unixMillis: Int64 = 1_767_225_600_000, monotonicNanos: UInt64 = 1_000_000_000) {
        state = Mutex((unixMillis, monotonicNanos))
    }

    public func unixMillis() -> Int64 { state.withLock { $0.unixMillis } }
    public func monotonicNanos() -> UInt64 { state.withLock { $0.monotonicNanos } }

    /// Moves both clocks forward by `millis`.
    public func advance(millis: Int64) {
        precondition(millis >= 0, "a clock never goes back")
        state.withLock {
            $0.unixMillis += millis
            $0.monotonicNanos += UInt64(millis) * 1_000_000
        }
    }
}
