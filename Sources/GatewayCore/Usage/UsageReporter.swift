/// Turns the daily aggregates into the reports Admin serves: a period's usage with model and endpoint breakdowns,
/// a cost series with the top spenders, and a linear forecast for the current month.
public struct UsageReporter: Sendable {
    public typealias Period = UsagePeriod

    public struct UsageReport: Sendable, Hashable {
        public var periodStart: UTCDate
        public var periodEnd: UTCDate
        public var breakdown: UsageBreakdown
    }

    /// Month-to-date spend projected linearly over the whole month: labelled as such wherever it is shown.
    public struct Forecast: Sendable, Hashable {
        public var method = "linear"
        public var month: String
        public var monthToDateNanos: Int64
        public var projectedNanos: Int64
    }

    public struct CostReport: Sendable {
        /// Every day of the range, zero days included, in order.
        public var daily: [(date: UTCDate, totals: UsageTotals)]
        public var totals: UsageTotals
        public var topUsers: [(id: String, totals: UsageTotals)]
        public var topOrgs: [(id: String, totals: UsageTotals)]
        public var forecast: Forecast
    }

    /// The longest range one cost report may span.
    public static let maxRangeDays: Int64 = 366

    public let store: any UsageStore
    private let clock: any GatewayClock

    public init(store: any UsageStore, clock: any GatewayClock) {
        self.store = store
        self.clock = clock
    }

    public var today: UTCDate { UTCDate(unixMillis: clock.unixMillis()) }

    /// The daily, weekly (ISO, Monday first) or monthly period containing `date` (default today).
    public func usage(_ period: Period, containing date: UTCDate? = nil, scope: UsageScope) async throws
        -> UsageReport
    {
        let window = period.window(containing: date ?? today)
        let days = try await store.days(scope, from: window.start, to: window.end)
        let breakdown = days.values.reduce(UsageBreakdown.zero, +)
        return UsageReport(periodStart: window.start, periodEnd: window.end, breakdown: breakdown)
    }

    public func costs(from start: UTCDate, to end: UTCDate, scope: UsageScope, top: Int) async throws -> CostReport {
        guard start <= end else {
            throw GatewayError(.invalidArgument, "start_date must not be after end_date", reason: "invalid_range")
        }
        guard end.daysSinceEpoch - start.daysSinceEpoch < Self.maxRangeDays else {
            throw GatewayError(.invalidArgument, "a cost report spans at most \(Self.maxRangeDays) days",
                               reason: "range_too_long")
        }
        async let days = store.days(scope, from: start, to: end)
        async let users = store.topSpenders(.user, from: start, to: end, limit: top)
        async let orgs = store.topSpenders(.org, from: start, to: end, limit: top)
        async let forecast = forecast(scope: scope)
        let byDay = try await days
        var daily: [(date: UTCDate, totals: UsageTotals)] = []
        var totals = UsageTotals.zero
        var day = start
        while day <= end {
            let t = byDay[day]?.totals ?? .zero
            daily.append((day, t))
            totals = totals + t
            day = day.adding(days: 1)
        }
        return CostReport(
            daily: daily, totals: totals, topUsers: try await users, topOrgs: try await orgs,
            forecast: try await forecast)
    }

    /// This month's spend so far, scaled by the month's length over the time elapsed (to the millisecond).
    public func forecast(scope: UsageScope) async throws -> Forecast {
        let now = clock.unixMillis()
        let today = UTCDate(unixMillis: now)
        let monthStart = today.monthStart
        let days = try await store.days(scope, from: monthStart, to: today)
        let spent = days.values.reduce(Int64(0)) { $0 + $1.totals.costNanos }
        let elapsed = max(now - monthStart.startUnixMillis, 1)
        let length = today.daysInMonth * 86_400_000
        let projected = Int64((Double(spent) * Double(length) / Double(elapsed)).rounded())
        let month = String(today.description.prefix(7))
        return Forecast(month: month, monthToDateNanos: spent, projectedNanos: max(projected, spent))
    }
}
