/// When the product spec's monitoring alerts fire: queue length over 100, error rate over 5% and cache hit rate under
/// 50%, each measured over the last five minutes. All of it is configurable (`monitor.*`) and replaceable at run time.
public struct MonitorThresholds: Sendable, Hashable {
    /// Queued jobs above which `queue_length` fires.
    public var queueLength: UInt64 = 100
    /// Percent of failed Complete and Stream calls above which `error_rate` fires.
    public var errorRatePercent: Double = 5
    /// Percent of cache lookups answered from the cache below which `cache_hit_rate` fires.
    public var cacheHitRatePercent: Double = 50
    /// The span the rates are measured over.
    public var windowMillis: Int64 = 300_000
    /// Calls (for the error rate) or lookups (for the hit rate) a window needs before its rate counts: a rate over
    /// three calls says nothing and would make the alert flap.
    public var minSamples: UInt64 = 20

    public init() {}
}
