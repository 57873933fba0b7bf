import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `BudgetStore`: definitions, spending read from the usage aggregates, atomic
/// reservations and once-only threshold claims. On Redis two stores with their own clients stand for two aigw
/// instances.
@Suite struct BudgetStoreBehaviourTests {
    typealias Backend = UsageStoreBehaviourTests.Backend

    /// Noon on 2026-03-10, a Tuesday.
    static let now = UsageStoreBehaviourTests.day.startUnixMillis + 43_200_000

    final class Harness: @unchecked Sendable {
        let clock: ManualClock
        let stores: [any BudgetStore]
        var store: any BudgetStore { stores[0] }
        let usage: any UsageStore
        let clients: [RedisClient]
        private var keep: [AnyObject] = []

        init(_ backend: Backend) throws {
            let clock = ManualClock(unixMillis: BudgetStoreBehaviourTests.now)
            self.clock = clock
            switch backend {
            case .memory:
                let usage = MemoryUsageStore(clock: clock)
                self.usage = usage
                stores = [MemoryBudgetStore(usage: usage, clock: clock)]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let tag = UUID().uuidString.prefix(8)
                let usagePrefix = "aigw-test:usage:\(tag):"
                usage = RedisUsageStore(client: clients[0], keyPrefix: usagePrefix)
                stores = clients.map {
                    RedisBudgetStore(client: $0, clock: clock, keyPrefix: "aigw-test:budget:\(tag):",
                                     usageKeyPrefix: usagePrefix)
                }
            }
        }

        deinit {
            for client in clients { client.close() }
        }

        func spend(_ nanos: Int64, org: String = "acme", daysAgo: Int64 = 0) async throws {
            #expect(try await usage.record(UsageRecord(
                requestID: UUID().uuidString, userID: "alice", orgID: org, endpoint: .chat, provider: .openai,
                model: "gpt-4o-mini", usage: TokenUsage(input: 1), costNanos: nanos,
                occurredAtMillis: clock.unixMillis() - daysAgo * 86_400_000)))
        }
    }

    static func budget(_ id: String = "b1", limit: Int64 = 1_000_000, period: UsagePeriod = .weekly) -> Budget {
        Budget(id: id, name: "team \(id)", subject: .org("acme"), limitNanos: limit, period: period,
               thresholds: [50, 100], enforce: true)
    }

    static var window: PeriodWindow { UsagePeriod.weekly.window(containing: UsageStoreBehaviourTests.day) }

    static func reservation(_ id: String = UUID().uuidString, amount: Int64, lease: Int64 = 60_000) -> BudgetReservation {
        BudgetReservation(id: id, budgetID: "b1", window: window, amountNanos: amount, leaseMillis: lease)
    }

    @Test(arguments: Backend.allCases)
    func definitionsCreateReplaceAndDelete(backend: Backend) async throws {
        let h = try Harness(backend)
        var budget = Self.budget()
        #expect(try await h.store.save(budget, .create))
        #expect(try await !h.stores.last!.save(budget, .create))
        budget.limitNanos = 5
        budget.name = "renamed: \"quoted\" ünïcode"
        #expect(try await h.stores.last!.save(budget, .replace))
        #expect(try await !h.store.save(Self.budget("nope"), .replace))
        #expect(try await h.store.budgets() == [budget])
        #expect(try await h.store.delete(id: "b1"))
        #expect(try await !h.store.delete(id: "b1"))
        #expect(try await h.store.budgets().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func spendingSumsThePeriodsDaysOfTheSubject(backend: Backend) async throws {
        let h = try Harness(backend)
        let budget = Self.budget()
        try await h.spend(100)
        try await h.spend(20, daysAgo: 1)  // Monday: same ISO week
        try await h.spend(3, daysAgo: 2)  // Sunday: the week before
        try await h.spend(4_000, org: "other")
        #expect(try await h.store.spending(of: budget, in: Self.window)
                == BudgetSpending(spentNanos: 120, reservedNanos: 0))
        let daily = UsagePeriod.daily.window(containing: UsageStoreBehaviourTests.day)
        #expect(try await h.store.spending(of: budget, in: daily).spentNanos == 100)
    }

    @Test(arguments: Backend.allCases)
    func concurrentReservationsNeverExceedTheLimit(backend: Backend) async throws {
        let h = try Harness(backend)
        let budget = Self.budget(limit: 1_000_000)
        try await h.spend(250_000)
        // 200 reservations of 10_000 from every store at once: exactly 75 fit.
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                let store = h.stores[i % h.stores.count]
                group.addTask { try await store.reserve(Self.reservation(amount: 10_000), against: budget).allowed }
            }
            var granted = 0
            for try await allowed in group where allowed { granted += 1 }
            return granted
        }
        #expect(granted == 75)
        #expect(try await h.store.spending(of: budget, in: Self.window)
                == BudgetSpending(spentNanos: 250_000, reservedNanos: 750_000))
        let denied = try await h.store.reserve(Self.reservation(amount: 1), against: budget)
        #expect(!denied.allowed)
        #expect(denied.spending == BudgetSpending(spentNanos: 250_000, reservedNanos: 750_000))
    }

    @Test(arguments: Backend.allCases)
    func releasedAndExpiredReservationsFreeTheirAmount(backend: Backend) async throws {
        let h = try Harness(backend)
        let budget = Self.budget(limit: 100)
        let first = Self.reservation("r1", amount: 60)
        #expect(try await h.store.reserve(first, against: budget).allowed)
        #expect(try await !h.store.reserve(Self.reservation(amount: 60), against: budget).allowed)
        try await h.stores.last!.release(first)
        try await h.store.release(first)  // twice is harmless
        #expect(try await h.store.spending(of: budget, in: Self.window).reservedNanos == 0)

        // A reservation whose call died frees itself when its lease ends (Redis keeps lease time by its own clock,
        // so on Redis the test waits for it, polling rather than guessing how busy the machine is).
        #expect(try await h.store.reserve(Self.reservation(amount: 100, lease: 1_000), against: budget).allowed)
        #expect(try await h.store.spending(of: budget, in: Self.window).reservedNanos == 100)
        h.clock.advance(millis: 1_001)
        let deadline = ContinuousClock.now + .seconds(5)
        while try await h.store.spending(of: budget, in: Self.window).reservedNanos > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await h.store.reserve(Self.reservation(amount: 100), against: budget).allowed)
    }

    @Test(arguments: Backend.allCases)
    func aThresholdIsClaimedOncePerWindow(backend: Backend) async throws {
        let h = try Harness(backend)
        let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<50 {
                let store = h.stores[i % h.stores.count]
                group.addTask { try await store.claimThreshold(budgetID: "b1", window: Self.window, percent: 75) }
            }
            var claimed = 0
            for try await won in group where won { claimed += 1 }
            return claimed
        }
        #expect(claims == 1)
        #expect(try await h.store.claimThreshold(budgetID: "b1", window: Self.window, percent: 90))
        #expect(try await h.store.claimThreshold(budgetID: "b2", window: Self.window, percent: 75))
        let next = UsagePeriod.weekly.window(containing: Self.window.end.adding(days: 1))
        #expect(try await h.store.claimThreshold(budgetID: "b1", window: next, percent: 75))
    }
}
