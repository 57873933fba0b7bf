import Foundation
import GatewayCore
import GatewayRedis
import RedisTestSupport
import Synchronization
import Testing

/// What CheckLimit does while Redis is down: fail open (allow, count, report) or fail closed (UNAVAILABLE), never
/// hang; and limits are enforced again once Redis is back.
@Suite struct RedisFailurePolicyTests {
    @Test func followsEachLimitsPolicyAndRecovers() async throws {
        let server = try RedisServerProcess()
        let client = RedisClient(configuration: RedisConfiguration(
            port: server.port, commandTimeout: .milliseconds(300), poolSize: 1))
        defer { client.close() }
        let failOpens = Mutex(0)
        let store = RedisRateLimitStore(client: client)
        let policy = RateLimitPolicy(endpoints: [
            .chat: .init(user: RateLimitRule(.slidingWindow, limit: 1, windowMillis: 60_000)),
            .search: .init(user: RateLimitRule(.slidingWindow, limit: 1, windowMillis: 60_000, failClosed: true)),
        ])
        let limiter = RateLimiter(policy: policy, store: store) { _ in failOpens.withLock { $0 += 1 } }

        #expect(try await limiter.check(endpoint: .chat, userID: "u", orgID: "", cost: 1, peek: false).allowed)
        #expect(!(try await limiter.check(endpoint: .chat, userID: "u", orgID: "", cost: 1, peek: false)).allowed)

        server.kill()
        for _ in 0..<3 {
            let started = ContinuousClock.now
            let open = try await limiter.check(endpoint: .chat, userID: "u", orgID: "", cost: 1, peek: false)
            #expect(open.allowed && open.degraded)
            let error = await #expect(throws: GatewayError.self) {
                _ = try await limiter.check(endpoint: .search, userID: "u", orgID: "", cost: 1, peek: false)
            }
            #expect(error?.code == .unavailable)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
        #expect(failOpens.withLock { $0 } == 3)

        try server.start()
        // Redis came back empty: the limit is counted again from zero, and enforced.
        var results: [Bool] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard let d = try? await limiter.check(endpoint: .chat, userID: "v", orgID: "", cost: 1, peek: false),
                  !d.degraded
            else {
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            results.append(d.allowed)
            if results.count == 2 { break }
        }
        #expect(results == [true, false])
    }

    /// The same policy through the callback form the server uses for CheckLimit on Redis.
    @Test func theCallbackCheckFollowsTheSamePolicy() async throws {
        let server = try RedisServerProcess()
        let client = RedisClient(configuration: RedisConfiguration(
            port: server.port, commandTimeout: .milliseconds(300), poolSize: 1))
        defer { client.close() }
        let failOpens = Mutex(0)
        let policy = RateLimitPolicy(endpoints: [
            .chat: .init(user: RateLimitRule(.slidingWindow, limit: 1, windowMillis: 60_000)),
            .search: .init(user: RateLimitRule(.slidingWindow, limit: 1, windowMillis: 60_000, failClosed: true)),
        ])
        let limiter = RateLimiter(policy: policy, store: RedisRateLimitStore(client: client)) { _ in
            failOpens.withLock { $0 += 1 }
        }
        #expect(limiter.answersByCallback)
        func check(_ endpoint: Endpoint, _ user: String) async throws -> RateLimiter.Decision {
            try await withCheckedThrowingContinuation { continuation in
                limiter.check(endpoint: endpoint, userID: user, orgID: "", cost: 1, peek: false) {
                    continuation.resume(with: $0)
                }
            }
        }

        #expect(try await check(.chat, "u").allowed)
        #expect(!(try await check(.chat, "u")).allowed)
        await #expect(throws: GatewayError.self) { _ = try await check(.chat, "") }

        server.kill()
        let open = try await check(.chat, "u")
        #expect(open.allowed && open.degraded)
        let error = await #expect(throws: GatewayError.self) { _ = try await check(.search, "u") }
        #expect(error?.code == .unavailable)
        #expect(failOpens.withLock { $0 } == 1)
    }
}
