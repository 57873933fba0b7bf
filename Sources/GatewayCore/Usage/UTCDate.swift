/// A calendar day in UTC, the unit usage is aggregated by. Parses and prints as `YYYY-MM-DD`.
public struct UTCDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let daysSinceEpoch: Int64

    public init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The day that contains `unixMillis`.
    public init(unixMillis: Int64) {
        let day = unixMillis >= 0 ? unixMillis / 86_400_000 : (unixMillis - 86_399_999) / 86_400_000
        self.init(daysSinceEpoch: day)
    }

    /// Parses `YYYY-MM-DD`; nil for anything else or an impossible date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), d >= 1, d <= Self.daysIn(month: m, year: y)
        else { return nil }
        self.init(daysSinceEpoch: Self.days(year: y, month: m, day: d))
    }

    public var components: (year: Int64, month: Int64, day: Int64) {
        // Howard Hinnant's civil_from_days.
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public var description: String {
        let (y, m, d) = components
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        // Years below 1000 are zero-padded so every printed day parses back.
        let year = (0..<1_000).contains(y) ? String(String(y + 10_000).dropFirst()) : "\(y)"
        return "\(year)-\(two(m))-\(two(d))"
    }

    public var startUnixMillis: Int64 { daysSinceEpoch * 86_400_000 }

    public func adding(days: Int64) -> UTCDate { UTCDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Monday of this date's ISO week.
    public var weekStart: UTCDate {
        // 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays.
        let offset = ((daysSinceEpoch + 3) % 7 + 7) % 7
        return adding(days: -offset)
    }

    public var monthStart: UTCDate {
        let (y, m, _) = components
        return UTCDate(daysSinceEpoch: Self.days(year: y, month: m, day: 1))
    }

    public var daysInMonth: Int64 {
        let (y, m, _) = components
        return Self.daysIn(month: m, year: y)
    }

    public static func < (a: UTCDate, b: UTCDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    private static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
