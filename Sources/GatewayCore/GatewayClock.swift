/// The only source of time for domain logic. Production code uses `SystemClock`; tests inject a `ManualClock` so
/// windows, TTLs and uptimes are exact and tests never sleep.
public protocol GatewayClock: Sendable {
    /// Wall-clock time in milliseconds since the Unix epoch, for timestamps that leave the process.
    func unixMillis() -> Int64
    /// Monotonic nanoseconds from an arbitrary origin, for durations and deadlines.
    func monotonicNanos() -> UInt64
}
