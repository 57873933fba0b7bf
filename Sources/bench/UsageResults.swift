import Foundation

/// What the usage suite measured: TrackUsage on each store next to its baseline, and proof that every call recorded.
struct UsageResults {
    let rows: [StoreRow]
    let checks: [UsageCheck]
    /// redis-benchmark running the usage record script with 50 clients and with 1.
    let evalsha50: (perSecond: Double, p50: Double, p99: Double)
    let evalsha1: (perSecond: Double, p50: Double, p99: Double)
    /// redis-benchmark's calls and the records they made (fewer only where two random ids collided).
    let baselineCalls: Int
    let baselineRecorded: Int
    /// The machine's 1-minute load average before and after the suite: how much else was running.
    let loadBefore: String
    let loadAfter: String

    func redisRatio(_ row: StoreRow) -> Double { row.stats.perSecond / max(1, evalsha50.perSecond) }
}


/// Calls answered against records reported by GetUsage for one store, warm-ups included.
struct UsageCheck {
    let store: String
    let calls: Int
    let recorded: UInt64
}

/// The 1-minute load average from /proc/loadavg, or "?" where there is none.
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}
