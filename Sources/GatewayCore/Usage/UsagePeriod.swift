/// The calendar periods reports cover and budgets count spending over. Weeks are ISO weeks (Monday first); every
/// period is in UTC, like the daily aggregates it is summed from.
public enum UsagePeriod: String, Sendable, Hashable, Codable, CaseIterable {
    case daily, weekly, monthly

    /// The period of this kind that contains `day`.
    public func window(containing day: UTCDate) -> PeriodWindow {
        switch self {
        case .daily: PeriodWindow(period: self, start: day, end: day)
        case .weekly: PeriodWindow(period: self, start: day.weekStart, end: day.weekStart.adding(days: 6))
        case .monthly:
            PeriodWindow(period: self, start: day.monthStart, end: day.monthStart.adding(days: day.daysInMonth - 1))
        }
    }
}

/// One concrete period: the days it spans and a stable name for it in store keys, so state that lives "once per
/// period" (a threshold that fired, a reservation) starts afresh when the next period begins.
public struct PeriodWindow: Sendable, Hashable, CustomStringConvertible {
    public let period: UsagePeriod
    public let start: UTCDate
    /// Inclusive.
    public let end: UTCDate

    /// `d:`, `w:` or `m:` and the first day, e.g. `m:2026-11-01`.
    public var key: String { "\(period.rawValue.prefix(1)):\(start)" }

    /// When the next period starts.
    public var endUnixMillis: Int64 { end.adding(days: 1).startUnixMillis }

    public var description: String { start == end ? "\(start)" : "\(start)..\(end)" }

    /// The window's days from its start up to `day` (all of them when `day` is past the end).
    public func days(through day: UTCDate) -> [UTCDate] {
        let last = min(day, end)
        guard start <= last else { return [] }
        return (0...(last.daysSinceEpoch - start.daysSinceEpoch)).map { start.adding(days: $0) }
    }
}
