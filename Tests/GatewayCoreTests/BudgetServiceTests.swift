import GatewayCore
import Synchronization
import Testing

/// Budgets on the embedded store with an injected clock: validation, thresholds that fire once per period, period
/// rollover, and enforcement by reservation. The Redis store passes the same store behaviour in
/// `BudgetStoreBehaviourTests`.
@Suite struct BudgetServiceTests {
    /// 2026-01-01 00:00 UTC, a Thursday.
    final class Harness: Sendable {
        let clock = ManualClock()
        let usage: MemoryUsageStore
        let store: MemoryBudgetStore
        let alertStore = MemoryAlertStore()
        let alerts: AlertCenter
        let service: BudgetService
        let tracker: UsageTracker
        let prices = PriceBook()

        init(store override: (any BudgetStore)? = nil, errors: ErrorLog? = nil) {
            usage = MemoryUsageStore(clock: clock)
            store = MemoryBudgetStore(usage: usage, clock: clock)
            alerts = AlertCenter(store: alertStore, clock: clock)
            service = BudgetService(
                store: override ?? store, prices: prices, alerts: alerts, clock: clock,
                onStoreError: { message, _ in errors?.messages.withLock { $0.append(message) } })
            tracker = UsageTracker(store: usage, prices: prices, clock: clock)
        }

        /// Records `nanos` of spending by alice in acme now, then lets budgets observe it.
        func spend(_ nanos: Int64, user: String = "alice", org: String = "acme") async throws {
            // gpt-4o-mini output is 600 nano-dollars a token; spend in whole tokens.
            precondition(nanos % 600 == 0)
            let (record, _) = try await tracker.track(UsageTracker.Entry(
                requestID: RandomID.hex(bytes: 8), userID: user, orgID: org, endpoint: .chat, provider: .openai,
                model: "gpt-4o-mini", usage: TokenUsage(input: 0, output: UInt64(nanos / 600))))
            await service.observe(record)
        }

        func firedPercents() async throws -> [String] {
            try await alertStore.recent(limit: 100, sinceMillis: 0).reversed().map {
                "\($0.details["budget_name"] ?? "?")@\($0.details["threshold_percent"] ?? "?")"
            }
        }
    }

    static let dollar: Int64 = 1_000_000_000

    static func expectError(
        _ code: GatewayError.Code, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code) \(reason)", sourceLocation: sourceLocation)
        } catch let error as GatewayError {
            #expect(error.code == code && error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Admin

    @Test func validatesAndNormalises() async throws {
        let h = Harness()
        let bad: [Budget] = [
            Budget(name: "", subject: .org("acme"), limitNanos: Self.dollar, period: .daily),
            Budget(name: "x", subject: .org(""), limitNanos: Self.dollar, period: .daily),
            Budget(name: "x", subject: .user("alice"), limitNanos: 0, period: .daily),
            Budget(name: "x", subject: .user("alice"), limitNanos: Self.dollar, period: .daily, thresholds: [0]),
            Budget(name: "x", subject: .user("alice"), limitNanos: Self.dollar, period: .daily, thresholds: [1_001]),
            Budget(id: "has space", name: "x", subject: .user("alice"), limitNanos: Self.dollar, period: .daily),
            Budget(name: String(repeating: "n", count: 201), subject: .user("alice"), limitNanos: Self.dollar,
                   period: .daily),
            Budget(name: "x", subject: .user("alice"), limitNanos: Self.dollar, period: .daily,
                   thresholds: Array(1...21)),
        ]
        for budget in bad {
            await #expect(throws: GatewayError.self) { _ = try await h.service.create(budget) }
        }
        let created = try await h.service.create(
            Budget(name: "team", subject: .org("acme"), limitNanos: Self.dollar, period: .monthly,
                   thresholds: [90, 50, 90, 100]))
        #expect(created.id.hasPrefix("bud_"))
        #expect(created.thresholds == [50, 90, 100])

        var duplicate = created
        duplicate.name = "again"
        await Self.expectError(.alreadyExists, "budget_exists") {
            _ = try await h.service.create(duplicate)
        }
        var missing = created
        missing.id = "bud_missing"
        await Self.expectError(.notFound, "budget_not_found") {
            _ = try await h.service.update(missing)
        }
        var changed = created
        changed.limitNanos = 2 * Self.dollar
        _ = try await h.service.update(changed)
        let listed = try await h.service.list()
        #expect(listed.map(\.budget) == [changed])
        #expect(try await h.service.list(userID: "alice").isEmpty)
        #expect(try await h.service.list(orgID: "acme").count == 1)
        #expect(try await h.service.delete(id: created.id))
        #expect(try await !h.service.delete(id: created.id))
        #expect(try await h.service.list().isEmpty)
    }

    @Test func listShowsThePeriodsSpending() async throws {
        let h = Harness()
        _ = try await h.service.create(
            Budget(id: "daily", name: "d", subject: .user("alice"), limitNanos: Self.dollar, period: .daily))
        try await h.spend(600_000)
        try await h.spend(600_000, user: "bob")
        let listed = try await h.service.list(userID: "alice")
        #expect(listed.first?.spending == BudgetSpending(spentNanos: 600_000, reservedNanos: 0))
    }

    // MARK: Thresholds

    @Test func eachThresholdFiresOncePerPeriod() async throws {
        let h = Harness()
        _ = try await h.service.create(Budget(
            id: "acme-daily", name: "acme", subject: .org("acme"), limitNanos: 6_000_000, period: .daily,
            thresholds: [50, 75, 90, 100, 150]))
        try await h.spend(2_400_000)  // 40%
        #expect(try await h.firedPercents() == [])
        try await h.spend(600_000)  // exactly 50%: reached
        #expect(try await h.firedPercents() == ["acme@50"])
        try await h.spend(2_400_000)  // 90%: 75 and 90 at once
        #expect(try await h.firedPercents() == ["acme@50", "acme@75", "acme@90"])
        try await h.spend(600_000)  // 100%
        try await h.spend(600_000)  // 110%: nothing new
        #expect(try await h.firedPercents() == ["acme@50", "acme@75", "acme@90", "acme@100"])

        // Many instances' worth of concurrent observations still fire nothing twice.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { try await h.spend(600_000) } }
            try await group.waitForAll()
        }
        #expect(try await h.firedPercents() == ["acme@50", "acme@75", "acme@90", "acme@100", "acme@150"])

        let alert = try #require(try await h.alertStore.recent(limit: 1, sinceMillis: 0).first)
        #expect(alert.kind == "budget_threshold")
        #expect(alert.severity == .critical)
        #expect(alert.subject == "org:acme")
        #expect(alert.details["period_start"] == "2026-01-01")
        #expect(alert.message.contains("reached 150% of $0.006000"))
    }

    @Test func disabledBudgetsAndOtherSubjectsStayQuiet() async throws {
        let h = Harness()
        _ = try await h.service.create(Budget(
            id: "off", name: "off", subject: .org("acme"), limitNanos: 600_000, period: .daily, enabled: false))
        _ = try await h.service.create(Budget(
            id: "bob", name: "bob", subject: .user("bob"), limitNanos: 600_000, period: .daily))
        try await h.spend(1_200_000)
        #expect(try await h.firedPercents() == [])
    }

    @Test func periodsRollOverWithTheClock() async throws {
        let h = Harness()
        _ = try await h.service.create(Budget(
            id: "day", name: "day", subject: .user("alice"), limitNanos: 1_200_000, period: .daily, thresholds: [50]))
        _ = try await h.service.create(Budget(
            id: "week", name: "week", subject: .user("alice"), limitNanos: 2_400_000, period: .weekly,
            thresholds: [50]))
        try await h.spend(600_000)  // Thu: day 50%, week 25%
        #expect(try await h.firedPercents() == ["day@50"])
        h.clock.advance(millis: 86_400_000)  // Fri
        try await h.spend(600_000)  // day 50% again (new day), week 50%
        #expect(try await h.firedPercents() == ["day@50", "day@50", "week@50"])
        h.clock.advance(millis: 3 * 86_400_000)  // Mon 2026-01-05: a new ISO week
        let listed = try await h.service.list(userID: "alice")
        #expect(listed.map(\.spending.spentNanos) == [0, 0])
        try await h.spend(1_200_000)
        #expect(try await h.firedPercents() == ["day@50", "day@50", "week@50", "day@50", "week@50"])
        let last = try #require(try await h.alertStore.recent(limit: 1, sinceMillis: 0).first)
        #expect(last.details["period_start"] == "2026-01-05")
        #expect(last.details["period_end"] == "2026-01-11")
    }

    // MARK: Enforcement

    static func request(user: String = "alice", org: String = "acme", model: String = "gpt-4o-mini",
                        text: String = "hello", maxTokens: Int? = 10) -> CompletionRequest {
        CompletionRequest(userID: user, orgID: org, model: model, messages: [ChatMessage(role: .user, content: text)],
                          maxTokens: maxTokens)
    }

    @Test func estimatesAtThePriciestModelTheCallMayUse() {
        let h = Harness()
        // 5 prompt bytes at 150 + 10 output tokens at 600.
        #expect(h.service.estimateNanos(Self.request()) == 6_750)
        // gpt-4o falls back to gpt-4o-mini; gpt-4o is the priciest: 5 * 5000 + 10 * 15000.
        #expect(h.service.estimateNanos(Self.request(model: "gpt-4o")) == 175_000)
        // Without max_tokens the output allowance is 4096 tokens.
        #expect(h.service.estimateNanos(Self.request(maxTokens: nil)) == 5 * 150 + 4_096 * 600)
        var cross = Self.request()
        cross.allowCrossProviderFallback = true  // claude-3-5-haiku: 800 / 4000 per token
        #expect(h.service.estimateNanos(cross) == 5 * 800 + 10 * 4_000)
        #expect(h.service.estimateNanos(Self.request(model: "unpriced-model")) == 0)
    }

    @Test func enforcementAdmitsOnlyWhatTheBudgetCanAfford() async throws {
        let h = Harness()
        let estimate = h.service.estimateNanos(Self.request())
        _ = try await h.service.create(Budget(
            id: "hard", name: "hard", subject: .org("acme"), limitNanos: estimate * 10 + estimate / 2, period: .daily,
            thresholds: [], enforce: true))
        // An unenforced budget and other orgs' calls are not affected.
        _ = try await h.service.create(Budget(
            id: "soft", name: "soft", subject: .user("alice"), limitNanos: 1, period: .daily))
        #expect(try await h.service.reserve(for: Self.request(org: "other")) == .none)

        let holds = await withTaskGroup(of: BudgetHold?.self) { group in
            for _ in 0..<100 {
                group.addTask { try? await h.service.reserve(for: Self.request()) }
            }
            var holds: [BudgetHold] = []
            for await hold in group { if let hold { holds.append(hold) } }
            return holds
        }
        #expect(holds.count == 10)
        let spending = try #require(try await h.service.list(orgID: "acme").first { $0.budget.id == "hard" })
        #expect(spending.spending.reservedNanos == estimate * 10)

        // Settle: record each call's (smaller) actual cost first, then release.
        for hold in holds {
            try await h.spend(6_000)
            await h.service.release(hold)
        }
        let settled = try #require(try await h.service.list(orgID: "acme").first { $0.budget.id == "hard" })
        #expect(settled.spending == BudgetSpending(spentNanos: 60_000, reservedNanos: 0))
        #expect(settled.spending.spentNanos <= settled.budget.limitNanos)

        // Room for one more estimate (67_500 + 3_375 limit, 60_000 spent): one admitted, then the budget is spent.
        let hold = try await h.service.reserve(for: Self.request())
        try await h.spend(12_000)
        await h.service.release(hold)
        await Self.expectError(.resourceExhausted, "budget_exhausted") {
            _ = try await h.service.reserve(for: Self.request())
        }
        // The next day the budget is fresh.
        h.clock.advance(millis: 86_400_000)
        #expect(try await h.service.reserve(for: Self.request()).reservations.count == 1)
    }

    @Test func aDeniedCallHoldsNothing() async throws {
        let h = Harness()
        _ = try await h.service.create(Budget(
            id: "user", name: "user", subject: .user("alice"), limitNanos: Self.dollar, period: .daily, enforce: true))
        _ = try await h.service.create(Budget(
            id: "org", name: "org", subject: .org("acme"), limitNanos: 1_000, period: .daily, enforce: true))
        await #expect(throws: GatewayError.self) { _ = try await h.service.reserve(for: Self.request()) }
        let user = try #require(try await h.service.list(userID: "alice").first)
        #expect(user.spending.reservedNanos == 0)
    }

    @Test func reservationsOfDeadCallsExpireWithTheirLease() async throws {
        let h = Harness()
        let estimate = h.service.estimateNanos(Self.request())
        _ = try await h.service.create(Budget(
            id: "hard", name: "hard", subject: .org("acme"), limitNanos: estimate, period: .daily, enforce: true))
        _ = try await h.service.reserve(for: Self.request())  // never released: its process "died"
        await #expect(throws: GatewayError.self) { _ = try await h.service.reserve(for: Self.request()) }
        h.clock.advance(millis: BudgetService.Settings().reservationLeaseMillis + 1)
        #expect(try await h.service.reserve(for: Self.request()).reservations.count == 1)
    }

    /// A store that is down: calls are admitted (fail open) and the error is reported.
    final class DownStore: BudgetStore {
        let budget = Budget(id: "b", name: "b", subject: .org("acme"), limitNanos: 1, period: .daily, enforce: true)
        func budgets() async throws -> [Budget] { [budget] }
        func save(_ budget: Budget, _ mode: BudgetSaveMode) async throws -> Bool { throw Self.down }
        func delete(id: String) async throws -> Bool { throw Self.down }
        func spending(of budget: Budget, in window: PeriodWindow) async throws -> BudgetSpending { throw Self.down }
        func reserve(_ reservation: BudgetReservation, against budget: Budget) async throws
            -> (allowed: Bool, spending: BudgetSpending) { throw Self.down }
        func release(_ reservation: BudgetReservation) async throws { throw Self.down }
        func claimThreshold(budgetID: String, window: PeriodWindow, percent: UInt32) async throws -> Bool {
            throw Self.down
        }
        static let down = GatewayError(.unavailable, "down", reason: "redis_unavailable")
    }

    final class ErrorLog: Sendable {
        let messages = Mutex<[String]>([])
    }

    @Test func anUnreachableStoreFailsOpenAndSaysSo() async throws {
        let errors = ErrorLog()
        let h = Harness(store: DownStore(), errors: errors)
        #expect(try await h.service.reserve(for: Self.request()) == .none)
        try await h.spend(600)
        #expect(errors.messages.withLock { $0 } == [
            "budget check failed; the call is admitted", "budget thresholds not evaluated",
        ])
    }

    // MARK: Money

    @Test func dollarsRoundTripExactly() {
        #expect(Money.dollars(450_000) == "$0.000450")
        #expect(Money.dollars(1_500_000_000) == "$1.500000")
        #expect(Money.dollars(-1) == "-$0.000000001")
        #expect(Money.nanos(fromDollars: "0.00045") == 450_000)
        #expect(Money.nanos(fromDollars: "$12") == 12_000_000_000)
        #expect(Money.nanos(fromDollars: ".5") == 500_000_000)
        #expect(Money.nanos(fromDollars: "0.000000001") == 1)
        for bad in ["", ".", "-1", "1.0000000001", "abc", "1e3", "9999999999999999999", "1.2.3", "$"] {
            #expect(Money.nanos(fromDollars: bad) == nil, "\(bad)")
        }
    }
}
