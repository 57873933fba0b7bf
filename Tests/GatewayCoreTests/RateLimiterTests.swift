import GatewayCore
import Testing

/// The limiter's behaviour on the in-memory store, with an injected clock so windows and refills are exact.
@Suite struct RateLimiterTests {
    static func limiter(_ limits: RateLimitPolicy.EndpointLimits, clock: ManualClock) -> RateLimiter {
        RateLimiter(policy: RateLimitPolicy(endpoints: [.chat: limits]), store: MemoryRateLimitStore(clock: clock))
    }

    static func check(_ limiter: RateLimiter, user: String = "u1", org: String = "o1", cost: UInt64 = 1,
                      peek: Bool = false) async throws -> RateLimiter.Decision {
        try await limiter.check(endpoint: .chat, userID: user, orgID: org, cost: cost, peek: peek)
    }

    @Test func tokenBucketAllowsTheBurstThenRefillsSteadily() async throws {
        let clock = ManualClock()
        // 10 per minute, bursts up to 20.
        let rule = RateLimitRule(.tokenBucket, limit: 10, windowMillis: 60_000, burst: 20)
        let limiter = Self.limiter(.init(user: rule), clock: clock)
        for i in 0..<20 {
            let d = try await Self.check(limiter)
            #expect(d.allowed, "burst request \(i)")
            #expect(d.levels[0].evaluation.remaining == UInt64(19 - i))
        }
        let denied = try await Self.check(limiter)
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .user)
        // One token takes 6 s to refill.
        #expect(denied.levels[0].evaluation.retryAfterMillis == 6_000)
        clock.advance(millis: 5_999)
        #expect(!(try await Self.check(limiter)).allowed)
        clock.advance(millis: 1)
        #expect(try await Self.check(limiter).allowed)
        #expect(!(try await Self.check(limiter)).allowed)
        // A full minute refills 10, not the whole burst.
        clock.advance(millis: 60_000)
        var allowed = 0
        for _ in 0..<15 where try await Self.check(limiter).allowed { allowed += 1 }
        #expect(allowed == 10)
    }

    @Test func slidingWindowNeverExceedsTheLimitInAnyWindow() async throws {
        let clock = ManualClock()
        let limiter = Self.limiter(.init(user: RateLimitRule(.slidingWindow, limit: 3, windowMillis: 1_000)), clock: clock)
        #expect(try await Self.check(limiter).allowed)  // t=0
        clock.advance(millis: 400)
        #expect(try await Self.check(limiter).allowed)  // t=400
        #expect(try await Self.check(limiter).allowed)  // t=400
        let denied = try await Self.check(limiter)
        #expect(!denied.allowed)
        // The t=0 entry leaves the window at t=1000.
        #expect(denied.levels[0].evaluation.retryAfterMillis == 600)
        clock.advance(millis: 599)
        #expect(!(try await Self.check(limiter)).allowed)
        clock.advance(millis: 1)
        #expect(try await Self.check(limiter).allowed)
        #expect(!(try await Self.check(limiter)).allowed)
    }

    @Test func anOrgDenialConsumesNothingFromTheUser() async throws {
        let clock = ManualClock()
        let limiter = Self.limiter(.init(user: .perMinute(5), org: .perMinute(2)), clock: clock)
        #expect(try await Self.check(limiter, user: "a").allowed)
        #expect(try await Self.check(limiter, user: "b").allowed)
        let denied = try await Self.check(limiter, user: "a")
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .org)
        // User a spent exactly one unit: the denied request took nothing.
        let status = try await limiter.status(endpoint: .chat, userID: "a", orgID: "")
        #expect(status.map(\.evaluation.remaining) == [4])
    }

    @Test func costConsumesSeveralUnitsAndTooLargeACostIsDenied() async throws {
        let clock = ManualClock()
        let limiter = Self.limiter(.init(user: RateLimitRule(.tokenBucket, limit: 1_000, windowMillis: 60_000)), clock: clock)
        let d = try await Self.check(limiter, cost: 750)
        #expect(d.allowed)
        #expect(d.levels[0].evaluation.remaining == 250)
        let tooMuch = try await Self.check(limiter, cost: 251)
        #expect(!tooMuch.allowed)
        // 1 unit refills every 60 ms.
        #expect(tooMuch.levels[0].evaluation.retryAfterMillis == 60)
        #expect(try await Self.check(limiter, cost: 250).allowed)
    }

    @Test func peekReportsWithoutConsuming() async throws {
        let clock = ManualClock()
        let limiter = Self.limiter(.init(user: RateLimitRule(.slidingWindow, limit: 2, windowMillis: 60_000)), clock: clock)
        for _ in 0..<5 {
            let peek = try await Self.check(limiter, peek: true)
            #expect(peek.allowed)
            #expect(peek.levels[0].evaluation.remaining == 2)
        }
        #expect(try await Self.check(limiter).allowed)
        #expect(try await Self.check(limiter).allowed)
        let peek = try await Self.check(limiter, peek: true)
        #expect(!peek.allowed)
        #expect(peek.levels[0].evaluation.remaining == 0)
    }

    @Test func shadowLimitsReportButNeverDeny() async throws {
        let clock = ManualClock()
        let shadowOrg = RateLimitRule(.tokenBucket, limit: 1, windowMillis: 60_000, shadow: true)
        let limiter = Self.limiter(.init(user: .perMinute(10), org: shadowOrg), clock: clock)
        let first = try await Self.check(limiter)
        #expect(first.allowed && !first.shadowDenied)
        let second = try await Self.check(limiter)
        #expect(second.allowed)
        #expect(second.shadowDenied)
        #expect(second.deniedBy == nil)
        // The user limit still counted both.
        #expect(second.levels[0].evaluation.remaining == 8)
    }

    @Test func aCheckNeedsACaller() async throws {
        let limiter = Self.limiter(.init(user: .perMinute(1)), clock: ManualClock())
        let error = await #expect(throws: GatewayError.self) { _ = try await Self.check(limiter, user: "", org: "") }
        #expect(error?.code == .invalidArgument)
    }

    @Test func resetForgetsACounter() async throws {
        let clock = ManualClock()
        let store = MemoryRateLimitStore(clock: clock)
        let limiter = RateLimiter(policy: RateLimitPolicy(endpoints: [.chat: .init(user: .perMinute(1))]), store: store)
        #expect(try await Self.check(limiter).allowed)
        #expect(!(try await Self.check(limiter)).allowed)
        _ = try await Self.check(limiter, user: "u2")
        let removed = try await store.reset(endpoint: .chat, userID: "u1", orgID: "")
        #expect(removed == 1)
        #expect(try await Self.check(limiter).allowed)
        #expect(!(try await Self.check(limiter, user: "u2")).allowed, "u2's counter was not reset")
        #expect(try await store.reset(endpoint: .search, userID: "", orgID: "") == 0)
        #expect(try await store.reset(endpoint: .chat, userID: "", orgID: "") == 2)
        #expect(try await Self.check(limiter, user: "u2").allowed)
    }

    @Test func idleCountersAreEvictedAndTheKeyCountIsBounded() async throws {
        let clock = ManualClock()
        let store = MemoryRateLimitStore(clock: clock, maxKeys: 50, sweepEvery: 10)
        let limiter = RateLimiter(policy: RateLimitPolicy(endpoints: [.chat: .init(user: .perMinute(5))]), store: store)
        for i in 0..<200 { _ = try await Self.check(limiter, user: "user-\(i)", org: "") }
        #expect(store.keyCount <= 50)
        // After a window every bucket is full again: the next sweep drops them all.
        clock.advance(millis: 60_000)
        for _ in 0..<10 { _ = try await limiter.check(endpoint: .chat, userID: "fresh", orgID: "", cost: 1, peek: true) }
        #expect(store.keyCount == 0)
    }

    @Test func productDefaultsMatchTheSpec() {
        let p = RateLimitPolicy.productDefaults
        #expect(p.endpoints[.summarize]?.user == .perHour(50))
        #expect(p.endpoints[.summarize]?.org == .perHour(500))
        #expect(p.endpoints[.search]?.user == .perMinute(20))
        #expect(p.endpoints[.search]?.org == .perHour(1_000))
        #expect(p.endpoints[.chat]?.user == .perMinute(10))
        #expect(p.endpoints[.chat]?.org == .perHour(1_000))
        #expect(p.endpoints[.embeddings]?.user == .perMinute(30))
        #expect(p.endpoints[.embeddings]?.org == .perHour(5_000))
    }
}
