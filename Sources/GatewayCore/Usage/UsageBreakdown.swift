/// One day's totals for one scope, with the same figures split by model and by endpoint.
public struct UsageBreakdown: Sendable, Hashable {
    public var totals: UsageTotals
    public var byModel: [String: UsageTotals]
    public var byEndpoint: [Endpoint: UsageTotals]

    public init(totals: UsageTotals = .zero, byModel: [String: UsageTotals] = [:], byEndpoint: [Endpoint: UsageTotals] = [:]) {
        self.totals = totals
        self.byModel = byModel
        self.byEndpoint = byEndpoint
    }

    public static let zero = UsageBreakdown()

    public static func + (a: UsageBreakdown, b: UsageBreakdown) -> UsageBreakdown {
        UsageBreakdown(
            totals: a.totals + b.totals, byModel: a.byModel.merging(b.byModel, uniquingKeysWith: +),
            byEndpoint: a.byEndpoint.merging(b.byEndpoint, uniquingKeysWith: +))
    }
}
