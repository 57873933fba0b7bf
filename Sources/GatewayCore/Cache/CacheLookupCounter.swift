import Synchronization

/// This instance's cache lookups since start, for the `cache_hit_rate` alert and `aigwctl top`. The store's own
/// statistics are shared by every instance on one Redis; an alert about this instance's traffic needs its own
/// counts. A lookup the caller bypassed is not counted.
public final class CacheLookupCounter: Sendable {
    private let hits = Atomic<UInt64>(0)
    private let misses = Atomic<UInt64>(0)

    public init() {}

    public func record(hit: Bool) {
        if hit {
            hits.add(1, ordering: .relaxed)
        } else {
            misses.add(1, ordering: .relaxed)
        }
    }

    public var totals: (hits: UInt64, misses: UInt64) {
        (hits.load(ordering: .relaxed), misses.load(ordering: .relaxed))
    }
}
