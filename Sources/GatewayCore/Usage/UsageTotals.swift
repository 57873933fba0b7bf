/// Requests, tokens and cost added up over some set of records.
public struct UsageTotals: Sendable, Hashable {
    public var requests: UInt64
    public var usage: TokenUsage
    public var costNanos: Int64
    public var cacheHits: UInt64

    public init(requests: UInt64 = 0, usage: TokenUsage = .zero, costNanos: Int64 = 0, cacheHits: UInt64 = 0) {
        self.requests = requests
        self.usage = usage
        self.costNanos = costNanos
        self.cacheHits = cacheHits
    }

    public static let zero = UsageTotals()

    public init(_ record: UsageRecord) {
        self.init(requests: 1, usage: record.usage, costNanos: record.costNanos, cacheHits: record.cacheHit ? 1 : 0)
    }

    public static func + (a: UsageTotals, b: UsageTotals) -> UsageTotals {
        UsageTotals(
            requests: a.requests + b.requests, usage: a.usage + b.usage, costNanos: a.costNanos + b.costNanos,
            cacheHits: a.cacheHits + b.cacheHits)
    }

    /// Average cost per request in nano-dollars, rounded down; 0 without requests.
    public var averageCostNanos: Int64 { requests == 0 ? 0 : costNanos / Int64(requests) }
}
