import Foundation
import GatewayClient
import GatewayWire
import RedisTestSupport
import Testing

/// Cache hits on an aigw whose limits and usage are in Redis (so the rate-limit check runs while the lookup does, and
/// hits' usage is written behind): a hit's record reaches Redis within the write-behind interval and at graceful
/// shutdown, and a denied hit is denied and never recorded. Each test has a private redis-server.
@Suite struct CacheOnRedisTests {
    typealias Harness = CompletionTests.Harness

    static func start(_ redis: RedisServerProcess, _ extra: [String: String] = [:]) async throws -> Harness {
        try await CacheTests.start(["REDIS_URL": redis.url].merging(extra) { _, new in new })
    }

    /// The day's totals for `user` once `done` holds, polling (hits are written behind); the last read otherwise.
    static func usage(_ client: GatewayClient, user: String, within: Duration = .seconds(5),
                      until done: (Aigw_V1_UsageTotals?) -> Bool) async throws -> Aigw_V1_UsageTotals?
    {
        let deadline = ContinuousClock.now + within
        var totals = try await UsageTests.usage(client, user: user).totals
        while !done(totals) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            totals = try await UsageTests.usage(client, user: user).totals
        }
        return totals
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func aHitIsRecordedBehindWithinTheInterval() async throws {
        let redis = try RedisServerProcess()
        let h = try await Self.start(redis, ["AIGW_USAGE_WRITE_BEHIND_MS": "50"])
        defer { Task { await h.stop() } }
        let first = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "wb", id: "wb-1"))
        let started = ContinuousClock.now
        let second = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "wb", id: "wb-2"))
        #expect(!first.cacheHit && second.cacheHit && second.costNanoUsd == 0)
        let totals = try await Self.usage(h.client, user: "wb") { $0?.requests == 2 }
        #expect(ContinuousClock.now - started < .seconds(2), "written within the interval, not eventually")
        #expect(totals?.requests == 2 && totals?.cacheHits == 1)
        #expect(totals?.costNanoUsd == first.costNanoUsd)
        #expect(totals?.usage?.outputTokens == 2 * (first.usage?.outputTokens ?? 0))
        // A retried hit (same request id) counts once, as it would written at once.
        _ = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "wb", id: "wb-2"))
        _ = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "wb", id: "wb-3"))
        let after = try await Self.usage(h.client, user: "wb") { $0?.requests == 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(after?.requests == 3 && after?.cacheHits == 2)
        #expect(try await UsageTests.usage(h.client, user: "wb").totals?.requests == 3)
        let health = try await UsageBufferTests.bufferHealth(h.client)
        #expect(health?.healthy == true && health?.detail.contains("behind=0 ") == true, "\(health?.detail ?? "")")
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func hitsWrittenBehindAreFlushedAtGracefulShutdown() async throws {
        let redis = try RedisServerProcess()
        // An interval no test waits out: only the shutdown flush can write these hits.
        let h = try await Self.start(redis, ["AIGW_USAGE_WRITE_BEHIND_MS": "10000"])
        _ = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "exit", id: "exit-0"))
        for i in 1...5 {
            #expect(try await h.client.call(Aigw_V1_Gateway.complete,
                                            CacheTests.request(user: "exit", id: "exit-\(i)")).cacheHit)
        }
        #expect(try await UsageTests.usage(h.client, user: "exit").totals?.requests == 1, "the hits are still queued")
        #expect(try await UsageBufferTests.bufferHealth(h.client)?.detail.contains("behind=5 ") == true)
        await h.client.close()
        #expect(h.server.terminate() == 0)
        try? await h.fake.shutdown()

        let next = try ServerProcess(environment: ["REDIS_URL": redis.url])
        let client = try await next.client()
        defer { Task { await client.close(); next.terminate() } }
        let totals = try await UsageTests.usage(client, user: "exit").totals
        #expect(totals?.requests == 6 && totals?.cacheHits == 5)
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func aDeniedHitIsDeniedAndNotRecorded() async throws {
        let redis = try RedisServerProcess()
        let h = try await Self.start(redis, ["AIGW_LIMIT_CHAT_USER": "2/1m sliding_window",
                                             "AIGW_USAGE_WRITE_BEHIND_MS": "20"])
        defer { Task { await h.stop() } }
        _ = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "capped"))
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "capped")).cacheHit)
        for _ in 0..<3 {
            do {
                _ = try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "capped"))
                Issue.record("expected RESOURCE_EXHAUSTED")
            } catch let error as RPCError {
                #expect(error.code == .resourceExhausted && error.detail?.reason == "rate_limited")
            }
        }
        _ = try await Self.usage(h.client, user: "capped") { $0?.requests == 2 }
        // Several flush intervals: a denied hit's record would have arrived by now.
        try await Task.sleep(for: .milliseconds(300))
        let totals = try await UsageTests.usage(h.client, user: "capped").totals
        #expect(totals?.requests == 2 && totals?.cacheHits == 1)
        #expect(h.fake.attempts() == 1)
        // Another user of the org still gets the hit: the denied lookups left no flight behind.
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, CacheTests.request(user: "free")).cacheHit)
    }
}
