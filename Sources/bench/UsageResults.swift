import Foundation

/// What the usage suite measured: TrackUsage on each store next to its baseline, and proof that every call recorded.
struct UsageResults {
    let rows: [UsageRow]
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

    func redisRatio(_ row: UsageRow) -> Double { row.stats.perSecond / max(1, evalsha50.perSecond) }
}

/// TrackUsage on one store at one level of calls in flight.
struct UsageRow {
    let store: String
    let inFlight: Int
    let stats: Stats
    /// The raw echo of the same request frame at the same level: the memory store's baseline.
    let echo: Stats?

    var echoRatio: Double { (echo?.perSecond ?? 0) > 0 ? stats.perSecond / echo!.perSecond : 0 }

    var line: String {
        "trackusage store=\(store) in-flight=\(inFlight) \(Int(stats.perSecond))/s p50=\(fmt(stats.p50))us "
            + "p99=\(fmt(stats.p99))us echo=\(Int(echo?.perSecond ?? 0))/s echo-ratio=\(fmt(echoRatio, 2))"
    }
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
