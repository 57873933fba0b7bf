/// What the monitor reads each round: counters that only grow (the monitor takes differences over its window, so
/// the source needs no windows of its own) and the queue's current length. nil: that part is not running here.
public struct MonitorSample: Sendable, Hashable {
    /// Complete and Stream calls that ended, and those of them that failed for a reason other than the caller's
    /// own (see `CompletionOutcomeCounter`).
    public var calls: UInt64
    public var errors: UInt64
    public var cacheHits: UInt64?
    public var cacheMisses: UInt64?
    public var queueLength: UInt64?

    public init(
        calls: UInt64 = 0, errors: UInt64 = 0, cacheHits: UInt64? = nil, cacheMisses: UInt64? = nil,
        queueLength: UInt64? = nil
    ) {
        self.calls = calls
        self.errors = errors
        self.cacheHits = cacheHits
        self.cacheMisses = cacheMisses
        self.queueLength = queueLength
    }
}
