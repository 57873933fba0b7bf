import Foundation
import GatewayCore
import GatewayRedis
import Synchronization
import Testing

/// One behaviour suite for every `RateLimitStore`: the in-memory store and the Redis store must agree.
@Suite struct RateLimitStoreBehaviourTests {
    enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
        case memory
        case redis
        var description: String { rawValue }
    }

    /// A limiter over a fresh store; every subject is unique, so runs never see each other's counters.
    final class Harness: @unchecked Sendable {
        let limiter: RateLimiter
        let store: any RateLimitStore
        let id = UUID().uuidString.prefix(8)
        private var keep: [AnyObject] = []

        init(_ backend: Backend, _ limits: RateLimitPolicy.EndpointLimits) throws {
            switch backend {
            case .memory:
                store = MemoryRateLimitStore(clock: SystemClock())
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                let client = RedisClient(configuration: configuration)
                keep = [client] + (server.map { [$0] } ?? [])
                store = RedisRateLimitStore(client: client, keyPrefix: "aigw-test:rl:")
            }
            limiter = RateLimiter(policy: RateLimitPolicy(endpoints: [.chat: limits]), store: store)
        }

        func user(_ name: String) -> String { "\(name)-\(id)" }

        func check(user: String = "u", org: String = "o", cost: UInt64 = 1, peek: Bool = false) async throws
            -> RateLimiter.Decision
        {
            try await limiter.check(endpoint: .chat, userID: self.user(user), orgID: self.user(org), cost: cost,
                                    peek: peek)
        }
    }

    @Test(arguments: Backend.allCases)
    func aBucketAllowsItsBurstThenDenies(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: RateLimitRule(.tokenBucket, limit: 5, windowMillis: 3_600_000)))
        for expected in stride(from: 4, through: 0, by: -1) {
            let d = try await h.check()
            #expect(d.allowed)
            #expect(d.levels.first?.evaluation.remaining == UInt64(expected))
        }
        let denied = try await h.check()
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .user)
        // One unit of 5 per hour refills in 12 minutes.
        #expect((700_000...720_000).contains(denied.levels[0].evaluation.retryAfterMillis))
    }

    @Test(arguments: Backend.allCases)
    func aSlidingWindowAllowsExactlyItsLimit(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: RateLimitRule(.slidingWindow, limit: 3, windowMillis: 3_600_000)))
        for _ in 0..<3 { #expect(try await h.check().allowed) }
        let denied = try await h.check()
        #expect(!denied.allowed)
        #expect(denied.levels[0].evaluation.remaining == 0)
        #expect((3_590_000...3_600_000).contains(denied.levels[0].evaluation.retryAfterMillis))
    }

    @Test(arguments: Backend.allCases)
    func anOrgDenialConsumesNothingFromTheUser(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: .perHour(5), org: RateLimitRule(.slidingWindow, limit: 2, windowMillis: 3_600_000)))
        #expect(try await h.check(user: "a").allowed)
        #expect(try await h.check(user: "b").allowed)
        let denied = try await h.check(user: "a")
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .org)
        let status = try await h.limiter.status(endpoint: .chat, userID: h.user("a"), orgID: "")
        #expect(status.map(\.evaluation.remaining) == [4])
    }

    @Test(arguments: Backend.allCases)
    func costConsumesSeveralUnits(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: RateLimitRule(.tokenBucket, limit: 1_000, windowMillis: 3_600_000)))
        let d = try await h.check(cost: 750)
        #expect(d.allowed && d.levels[0].evaluation.remaining == 250)
        #expect(!(try await h.check(cost: 251)).allowed)
        #expect(try await h.check(cost: 250).allowed)
        let w = try Harness(backend, .init(user: RateLimitRule(.slidingWindow, limit: 10, windowMillis: 3_600_000)))
        #expect(try await w.check(cost: 7).allowed)
        #expect(!(try await w.check(cost: 4)).allowed)
        #expect(try await w.check(cost: 3).allowed)
    }

    @Test(arguments: Backend.allCases)
    func peekNeverConsumes(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: RateLimitRule(.slidingWindow, limit: 2, windowMillis: 3_600_000),
                                           org: .perHour(2)))
        for _ in 0..<5 {
            let peek = try await h.check(peek: true)
            #expect(peek.allowed && peek.levels.map(\.evaluation.remaining) == [2, 2])
        }
        #expect(try await h.check().allowed)
        #expect(try await h.check().allowed)
        #expect(!(try await h.check(peek: true)).allowed)
    }

    @Test(arguments: Backend.allCases)
    func shadowLimitsReportButNeverDeny(backend: Backend) async throws {
        let shadow = RateLimitRule(.tokenBucket, limit: 1, windowMillis: 3_600_000, shadow: true)
        let h = try Harness(backend, .init(user: .perHour(10), org: shadow))
        #expect(try await h.check().allowed)
        let second = try await h.check()
        #expect(second.allowed && second.shadowDenied && second.deniedBy == nil)
        #expect(second.levels[0].evaluation.remaining == 8)
    }

    @Test(arguments: Backend.allCases)
    func bucketsRefillAndWindowsSlide(backend: Backend) async throws {
        // Real time on both stores (Redis takes its own), so denials are only asserted while the test is known to
        // be inside the window; the exact refill arithmetic is tested with an injected clock in GatewayCoreTests.
        // 5 per 2.5 s: one unit every 500 ms.
        let h = try Harness(backend, .init(user: RateLimitRule(.tokenBucket, limit: 5, windowMillis: 2_500)))
        var start = ContinuousClock.now
        for _ in 0..<5 { #expect(try await h.check().allowed) }
        let sixth = try await h.check()
        if ContinuousClock.now - start < .milliseconds(400) { #expect(!sixth.allowed) }
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await h.check().allowed)

        let w = try Harness(backend, .init(user: RateLimitRule(.slidingWindow, limit: 2, windowMillis: 1_000)))
        start = ContinuousClock.now
        #expect(try await w.check().allowed)
        #expect(try await w.check().allowed)
        let third = try await w.check()
        if ContinuousClock.now - start < .milliseconds(900) { #expect(!third.allowed) }
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(try await w.check().allowed)
    }

    @Test(arguments: Backend.allCases)
    func resetForgetsCounters(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: .perHour(1), org: RateLimitRule(.slidingWindow, limit: 5, windowMillis: 3_600_000)))
        #expect(try await h.check(user: "a").allowed)
        #expect(!(try await h.check(user: "a")).allowed)
        #expect(try await h.store.reset(endpoint: .chat, userID: h.user("a"), orgID: "") == 1)
        #expect(try await h.check(user: "a").allowed)
        #expect(try await h.store.reset(endpoint: .chat, userID: h.user("a"), orgID: h.user("o")) == 2)
    }

    @Test(arguments: Backend.allCases)
    func concurrentChecksNeverOverAllow(backend: Backend) async throws {
        let h = try Harness(backend, .init(user: RateLimitRule(.slidingWindow, limit: 100, windowMillis: 3_600_000)))
        let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 { group.addTask { try await h.check().allowed } }
            var n = 0
            for try await ok in group where ok { n += 1 }
            return n
        }
        #expect(allowed == 100)
    }
}
