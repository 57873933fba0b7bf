import GatewayCore
import Synchronization
import Testing

@Suite("Usage tracking and reports")
struct UsageReportingTests {
    // 2026-11-30 12:00 UTC, a Monday.
    let clock = ManualClock(unixMillis: 1_796_040_000_000)

    private func tracker(_ store: any UsageStore, unpriced: @escaping @Sendable (String) -> Void = { _ in }) -> UsageTracker {
        UsageTracker(store: store, prices: PriceBook(), clock: clock, onUnpriced: unpriced)
    }

    private func entry(_ id: String, user: String = "u1", org: String = "o1", model: String = "gpt-4o-mini",
                       endpoint: Endpoint = .chat, input: UInt64 = 1_000, output: UInt64 = 500, at: Int64? = nil,
                       cacheHit: Bool = false) -> UsageTracker.Entry {
        UsageTracker.Entry(requestID: id, userID: user, orgID: org, endpoint: endpoint, provider: .openai, model: model,
                           usage: TokenUsage(input: input, output: output), cacheHit: cacheHit, occurredAtMillis: at)
    }

    @Test func theClockIsWhereTheTestsThinkItIs() {
        #expect(UTCDate(unixMillis: clock.unixMillis()).description == "2026-11-30")
        #expect(UTCDate("2026-11-30")?.weekStart.description == "2026-11-30")
    }

    @Test func tracksExactCostOnceAndFlagsUnpricedModels() async throws {
        let store = MemoryUsageStore(clock: clock)
        let flagged = Recorder()
        let t = tracker(store) { model in flagged.add(model) }
        let first = try await t.track(entry("r1"))
        #expect(first.record.costNanos == 450_000, "gpt-4o-mini, 1,000 in and 500 out: exactly $0.00045")
        #expect(!first.duplicate)
        let again = try await t.track(entry("r1", input: 9_999))
        #expect(again.duplicate)
        let unknown = try await t.track(entry("r2", model: "mystery-model"))
        #expect(unknown.record.unpriced && unknown.record.costNanos == 0)
        #expect(flagged.models == ["mystery-model"])
        let hit = try await t.track(entry("r3", cacheHit: true))
        #expect(hit.record.costNanos == 0 && hit.record.cacheHit)
        let report = try await UsageReporter(store: store, clock: clock).usage(.daily, scope: .all)
        #expect(report.breakdown.totals.requests == 3)
        #expect(report.breakdown.totals.costNanos == 450_000)
        #expect(report.breakdown.totals.cacheHits == 1)
        #expect(report.breakdown.byModel["mystery-model"]?.requests == 1)
        #expect(report.breakdown.totals.averageCostNanos == 150_000)
    }

    @Test func rejectsEntriesWithoutRequestIDOrModel() async {
        let t = tracker(MemoryUsageStore(clock: clock))
        await #expect(throws: GatewayError.self) { try await t.track(entry("")) }
        await #expect(throws: GatewayError.self) { try await t.track(entry("x", model: "")) }
    }

    @Test func periodsCoverTheirDaysAndScopesSeparateUsersAndOrgs() async throws {
        let store = MemoryUsageStore(clock: clock)
        let t = tracker(store)
        let day: Int64 = 86_400_000
        let now = clock.unixMillis()
        _ = try await t.track(entry("a", user: "alice", org: "acme", at: now))
        _ = try await t.track(entry("b", user: "bob", org: "acme", at: now - day))  // Sunday: previous ISO week
        _ = try await t.track(entry("c", user: "alice", org: "other", model: "gpt-4o", endpoint: .summarize,
                                     at: now - 10 * day))
        let reporter = UsageReporter(store: store, clock: clock)
        let daily = try await reporter.usage(.daily, scope: .all)
        #expect(daily.periodStart.description == "2026-11-30" && daily.breakdown.totals.requests == 1)
        let weekly = try await reporter.usage(.weekly, scope: .all)
        #expect(weekly.periodStart.description == "2026-11-30" && weekly.periodEnd.description == "2026-12-06")
        #expect(weekly.breakdown.totals.requests == 1)
        let monthly = try await reporter.usage(.monthly, scope: .all)
        #expect(monthly.periodStart.description == "2026-11-01" && monthly.periodEnd.description == "2026-11-30")
        #expect(monthly.breakdown.totals.requests == 3)
        #expect(monthly.breakdown.byEndpoint[.summarize]?.requests == 1)
        let alice = try await reporter.usage(.monthly, scope: .user("alice"))
        #expect(alice.breakdown.totals.requests == 2)
        let acme = try await reporter.usage(.monthly, scope: .org("acme"))
        #expect(acme.breakdown.totals.requests == 2)
    }

    @Test func costsListEveryDayRankSpendersAndForecastLinearly() async throws {
        let store = MemoryUsageStore(clock: clock)
        let t = tracker(store)
        let day: Int64 = 86_400_000
        let now = clock.unixMillis()
        _ = try await t.track(entry("a", user: "alice", at: now))
        _ = try await t.track(entry("b", user: "bob", model: "gpt-4o", at: now - 2 * day))
        _ = try await t.track(entry("c", user: "alice", at: now - 2 * day))
        let reporter = UsageReporter(store: store, clock: clock)
        let report = try await reporter.costs(from: UTCDate("2026-11-27")!, to: UTCDate("2026-11-30")!, scope: .all, top: 10)
        #expect(report.daily.map(\.date.description) == ["2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"])
        #expect(report.daily.map(\.totals.requests) == [0, 2, 0, 1])
        // gpt-4o: 1,000 x 5,000 + 500 x 15,000 = 12,500,000 nano-dollars.
        #expect(report.totals.costNanos == 12_500_000 + 2 * 450_000)
        #expect(report.topUsers.map(\.id) == ["bob", "alice"])
        #expect(report.topUsers.first?.totals.costNanos == 12_500_000)
        // 29.5 days of November elapsed; the month has 30.
        #expect(report.forecast.method == "linear")
        #expect(report.forecast.month == "2026-11")
        #expect(report.forecast.monthToDateNanos == report.totals.costNanos)
        let expected = Int64((Double(report.totals.costNanos) * 30 / 29.5).rounded())
        #expect(report.forecast.projectedNanos == expected)
        await #expect(throws: GatewayError.self) {
            _ = try await reporter.costs(from: UTCDate("2026-11-30")!, to: UTCDate("2026-11-01")!, scope: .all, top: 1)
        }
        await #expect(throws: GatewayError.self) {
            _ = try await reporter.costs(from: UTCDate("2024-01-01")!, to: UTCDate("2026-11-01")!, scope: .all, top: 1)
        }
    }
}

private final class Recorder: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ s: String) { list.withLock { $0.append(s) } }
    var models: [String] { list.withLock { $0 } }
}
