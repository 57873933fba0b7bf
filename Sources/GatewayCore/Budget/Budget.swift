/// A spending budget for one user or org over a daily, weekly or monthly period: it raises an alert as spending
/// crosses each notify-at threshold (once per period), and when `enforce` is set it refuses new Complete and Stream
/// calls once spending reaches the limit.
public struct Budget: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var subject: BudgetSubject
    /// Nano-dollars per period.
    public var limitNanos: Int64
    public var period: UsagePeriod
    /// Percentages of the limit, ascending and distinct after `validated()`, e.g. 50, 75, 90, 100. Above 100 is
    /// allowed for alerts on an overshoot of a budget that is not enforced.
    public var thresholds: [UInt32]
    public var enabled: Bool
    public var enforce: Bool

    public init(
        id: String = "", name: String, subject: BudgetSubject, limitNanos: Int64, period: UsagePeriod,
        thresholds: [UInt32] = [50, 75, 90, 100], enabled: Bool = true, enforce: Bool = false
    ) {
        self.id = id
        self.name = name
        self.subject = subject
        self.limitNanos = limitNanos
        self.period = period
        self.thresholds = thresholds
        self.enabled = enabled
        self.enforce = enforce
    }

    /// The highest threshold allowed: ten times the limit.
    public static let maxThresholdPercent: UInt32 = 1_000
    /// Each threshold can raise an alert per period; more than this many would be noise, not alerts.
    public static let maxThresholds = 20

    /// The budget with its thresholds sorted and de-duplicated, or an INVALID_ARGUMENT naming the bad field.
    public func validated() throws(GatewayError) -> Budget {
        guard !name.isEmpty, name.utf8.count <= 200 else {
            throw GatewayError(.invalidArgument, "a budget needs a name of 1 to 200 bytes", reason: "invalid_budget")
        }
        guard !subject.id.isEmpty else {
            throw GatewayError(.invalidArgument, "a budget needs exactly one of user_id and org_id",
                               reason: "invalid_budget")
        }
        guard limitNanos > 0 else {
            throw GatewayError(.invalidArgument, "limit_nano_usd must be positive", reason: "invalid_budget")
        }
        guard thresholds.count <= Self.maxThresholds else {
            throw GatewayError(.invalidArgument, "at most \(Self.maxThresholds) notify_at_percent values",
                               reason: "invalid_budget")
        }
        guard thresholds.allSatisfy({ (1...Self.maxThresholdPercent).contains($0) }) else {
            throw GatewayError(.invalidArgument,
                               "notify_at_percent values must be 1 to \(Self.maxThresholdPercent)",
                               reason: "invalid_budget")
        }
        var copy = self
        copy.thresholds = Array(Set(thresholds)).sorted()
        return copy
    }

    /// The thresholds `spentNanos` has reached: spent >= limit * percent / 100, computed without rounding.
    public func thresholdsReached(spentNanos: Int64) -> [UInt32] {
        let spent = Int128(spentNanos) * 100
        return thresholds.filter { spent >= Int128(limitNanos) * Int128($0) }
    }
}
