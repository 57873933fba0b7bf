import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import RedisTestSupport
import Testing

/// The response cache through a real aigw and the fake upstream: hits cost nothing upstream and are recorded as
/// usage, orgs never share answers, identical concurrent requests reach the upstream once, streams replay, controls
/// work, Admin and aigwctl show and flush, and a cache Redis that dies mid-test costs hits, never requests.
@Suite(.serialized) struct CacheTests {
    typealias Harness = CompletionTests.Harness

    static func start(_ extra: [String: String] = [:]) async throws -> Harness {
        try await Harness.start(["AIGW_CACHE_ENABLED": "true"].merging(extra) { _, new in new })
    }

    static func request(_ text: String = "hello cache", user: String = "u1", org: String = "o1", id: String? = nil)
        -> Aigw_V1_CompleteRequest
    {
        var request = CompletionTests.request("gpt-4o-mini", text)
        request.caller?.userId = user
        request.caller?.orgId = org
        request.requestId = id ?? UUID().uuidString
        return request
    }

    static func stats(_ client: GatewayClient, _ endpoint: Aigw_V1_Endpoint = .chat) async throws
        -> (backend: String, chat: Aigw_V1_CacheOperationStats?)
    {
        let response = try await client.call(Aigw_V1_Admin.getCacheStats, .init())
        return (response.backend, response.operations.first { $0.endpoint == endpoint })
    }

    @Test func aRepeatedRequestIsAHitAtZeroCostRecordedAsUsage() async throws {
        let h = try await Self.start()
        defer { Task { await h.stop() } }
        let first = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(id: "first"))
        let second = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(id: "second"))
        #expect(!first.cacheHit && second.cacheHit)
        #expect(second.content == first.content && second.model == first.model && second.id == first.id)
        #expect(second.usage == first.usage, "the original usage, so reports show what the cache saved")
        #expect(first.costNanoUsd > 0 && second.costNanoUsd == 0)
        #expect(second.requestId == "second" && second.attempts.isEmpty)
        #expect(h.fake.attempts() == 1)

        let usage = try await UsageTests.usage(h.client, user: "u1").totals
        #expect(usage?.requests == 2)
        #expect(usage?.cacheHits == 1)
        #expect(usage?.costNanoUsd == first.costNanoUsd)
        #expect(usage?.usage?.outputTokens == 2 * (first.usage?.outputTokens ?? 0))

        let (backend, chat) = try await Self.stats(h.client)
        #expect(backend == "memory")
        #expect(chat?.hits == 1 && chat?.misses == 1 && chat?.stores == 1 && chat?.entries == 1)
        #expect((chat?.bytes ?? 0) > 0 && chat?.hitRate == 0.5)
    }

    @Test func orgsNeverShareAnswersButUsersOfOneOrgDo() async throws {
        let h = try await Self.start()
        defer { Task { await h.stop() } }
        let acme = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "alice", org: "acme"))
        let globex = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "alice", org: "globex"))
        let colleague = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "bob", org: "acme"))
        #expect(!acme.cacheHit && !globex.cacheHit && colleague.cacheHit)
        #expect(h.fake.attempts() == 2)
    }

    @Test func theUserScopeKeepsUsersApart() async throws {
        let h = try await Self.start(["AIGW_CACHE_SCOPE": "user"])
        defer { Task { await h.stop() } }
        _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "alice", org: "acme"))
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "bob", org: "acme")).cacheHit)
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "alice", org: "acme")).cacheHit)
        #expect(h.fake.attempts() == 2)
    }

    @Test func aHundredConcurrentIdenticalRequestsReachTheUpstreamOnce() async throws {
        let h = try await Self.start()
        defer { Task { await h.stop() } }
        // A slow upstream answer (500 ms), so every request arrives while the first is still in flight: they wait
        // for it (single-flight) rather than finding its answer in the store.
        h.fake.setDefault(.slowFirstToken(milliseconds: 500))
        let started = ContinuousClock.now
        let answers = try await withThrowingTaskGroup(of: Aigw_V1_CompleteResponse.self) { group in
            for i in 0..<100 {
                group.addTask { try await h.client.call(Aigw_V1_Gateway.complete, Self.request(user: "u\(i % 10)")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 100)
        #expect(Set(answers.map(\.content)).count == 1)
        #expect(answers.filter { !$0.cacheHit }.count == 1)
        #expect(h.fake.attempts() == 1, "exactly one upstream call for 100 identical requests")
        #expect(ContinuousClock.now - started < .seconds(5))
        let chat = try await Self.stats(h.client).chat
        #expect(chat?.misses == 1 && chat?.hits == 99 && chat?.stores == 1, "the 99 shared the leader's answer")
        let usage = try await UsageTests.usage(h.client).totals
        #expect(usage?.requests == 100 && usage?.cacheHits == 99)
    }

    @Test func aFinishedStreamIsStoredAndReplayedAndACutOneIsNot() async throws {
        let h = try await Self.start()
        defer { Task { await h.stop() } }
        let words = (0..<1_500).map { "w\($0)" }.joined(separator: " ")
        let request = Self.request(words)
        let (live, liveError) = await CompletionTests.collect(h, request)
        #expect(liveError == nil)
        let (replayed, replayError) = await CompletionTests.collect(h, Self.request(words))
        #expect(replayError == nil)
        #expect(h.fake.attempts() == 1)
        guard case .start(let start) = replayed.first?.event else {
            Issue.record("a replay starts with StreamStart")
            return
        }
        #expect(start.cacheHit && start.model != "")
        #expect(CompletionTests.text(replayed) == CompletionTests.text(live))
        let deltas = replayed.filter { if case .delta = $0.event { true } else { false } }
        #expect(deltas.count > 1, "a long answer is replayed in several deltas")
        let end = try #require(CompletionTests.end(replayed))
        #expect(end.usage == CompletionTests.end(live)?.usage && end.costNanoUsd == 0 && end.finishReason == .stop)
        // The streamed answer serves Complete too.
        let complete = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(words))
        #expect(complete.cacheHit && complete.content == CompletionTests.text(live))

        // A stream cut midway is never stored: the next identical request goes upstream.
        h.fake.enqueue([.cutStream(afterPieces: 2)])
        let (_, cutError) = await CompletionTests.collect(h, Self.request("cut short please"))
        #expect(cutError != nil)
        let after = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("cut short please"))
        #expect(!after.cacheHit)
        #expect(h.fake.attempts() == 3)
    }

    @Test func bypassNoStoreAndTTLControls() async throws {
        let h = try await Self.start(["AIGW_CACHE_TTL_CHAT": "1h"])
        defer { Task { await h.stop() } }
        var noStore = Self.request("controls")
        noStore.cache = Aigw_V1_CacheControl()
        noStore.cache?.noStore = true
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, noStore).cacheHit)
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, Self.request("controls")).cacheHit)
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request("controls")).cacheHit)
        var bypass = Self.request("controls")
        bypass.cache = Aigw_V1_CacheControl()
        bypass.cache?.bypass = true
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, bypass).cacheHit)
        #expect(h.fake.attempts() == 3)

        var shortTTL = Self.request("short ttl")
        shortTTL.cache = Aigw_V1_CacheControl()
        shortTTL.cache?.ttlSeconds = 1
        _ = try await h.client.call(Aigw_V1_Gateway.complete, shortTTL)
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request("short ttl")).cacheHit)
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, Self.request("short ttl")).cacheHit)

        var tooLong = Self.request("x")
        tooLong.cache = Aigw_V1_CacheControl()
        tooLong.cache?.ttlSeconds = 31 * 86_400
        do {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, tooLong)
            Issue.record("expected INVALID_ARGUMENT")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument && error.detail?.reason == "invalid_cache_ttl")
        }
    }

    @Test func theRateLimitStillAppliesToHits() async throws {
        let h = try await Self.start(["AIGW_LIMIT_CHAT_USER": "2/1m sliding_window"])
        defer { Task { await h.stop() } }
        _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request())
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request()).cacheHit)
        do {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request())
            Issue.record("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted && error.detail?.reason == "rate_limited")
        }
        #expect(h.fake.attempts() == 1)
    }

    @Test func aigwctlShowsStatsAndFlushesByOrgAndOperation() async throws {
        let h = try await Self.start()
        defer { Task { await h.stop() } }
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        for org in ["acme", "globex"] {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(org: org))
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request(org: org))
        }
        let table = try CLI.run(ctl, ["cache", "stats", "--socket", h.server.socketPath])
        #expect(table.status == 0)
        #expect(table.stdout.contains("backend: memory"), "\(table.stdout)")
        #expect(table.stdout.contains("chat") && table.stdout.contains("50.0%"), "\(table.stdout)")
        let json = try CLI.run(ctl, ["cache", "stats", "--json", "--socket", h.server.socketPath])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["backend"] as? String == "memory")

        let flushed = try CLI.run(ctl, ["cache", "flush", "--org", "acme", "--socket", h.server.socketPath])
        #expect(flushed.status == 0 && flushed.stdout.contains("removed: 1"), "\(flushed.stdout)")
        #expect(try await !h.client.call(Aigw_V1_Gateway.complete, Self.request(org: "acme")).cacheHit)
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request(org: "globex")).cacheHit)
        let bad = try CLI.run(ctl, ["cache", "flush", "--endpoint", "nope", "--socket", h.server.socketPath])
        #expect(bad.status != 0)
        var all = Aigw_V1_FlushCacheRequest()
        all.endpoint = .chat
        #expect(try await h.client.call(Aigw_V1_Admin.flushCache, all).removed == 2)
        #expect(try await Self.stats(h.client).chat?.entries == 0)
    }

    @Test func adminCacheMethodsNeedTheAdminTokenOverTCP() async throws {
        let h = try await Self.start(["AIGW_ADMIN_TOKEN": "secret-token"])
        defer { Task { await h.stop() } }
        let tcp = try await h.server.client(h.server.tcp)
        defer { Task { await tcp.close() } }
        do {
            _ = try await tcp.call(Aigw_V1_Admin.flushCache, .init())
            Issue.record("expected UNAUTHENTICATED")
        } catch let error as RPCError {
            #expect(error.code == .unauthenticated)
        }
        let authorized = try await h.server.client(h.server.tcp, token: "secret-token")
        defer { Task { await authorized.close() } }
        #expect(try await authorized.call(Aigw_V1_Admin.getCacheStats, .init()).operations.count == 5)
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func theCachesRedisDyingCostsHitsNeverRequests() async throws {
        let redis = try RedisServerProcess(arguments: ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"])
        let h = try await Self.start(["AIGW_CACHE_REDIS_URL": redis.url, "AIGW_CACHE_TIMEOUT_MS": "50"])
        defer { Task { await h.stop() } }
        _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("shared"))
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, Self.request("shared")).cacheHit)
        let before = try await Self.stats(h.client)
        #expect(before.backend == "redis" && before.chat?.hits == 1 && before.chat?.entries == 1)

        // A second instance on the same cache Redis answers from it too.
        let twin = try ServerProcess(environment: h.server.environment)
        let twinClient = try await twin.client()
        #expect(try await twinClient.call(Aigw_V1_Gateway.complete, Self.request("shared")).cacheHit)
        await twinClient.close()
        twin.terminate()

        // A Redis that stops answering (SIGSTOP) delays calls by the cache timeout at most, never fails them.
        redis.pause()
        for i in 0..<5 {
            let started = ContinuousClock.now
            let answer = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("paused \(i)"))
            #expect(!answer.cacheHit && !answer.content.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(2), "a stalled cache Redis must not stall the call")
        }
        redis.resume()

        redis.kill()
        let during = try await withThrowingTaskGroup(of: Aigw_V1_CompleteResponse.self) { group in
            for i in 0..<20 {
                group.addTask { try await h.client.call(Aigw_V1_Gateway.complete, Self.request("outage \(i % 4)")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(during.count == 20 && during.allSatisfy { !$0.content.isEmpty })
        await #expect(throws: RPCError.self) { try await h.client.call(Aigw_V1_Admin.getCacheStats, .init()) }

        try redis.start()
        var cached = false
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && !cached {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("after the outage"))
            cached = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("after the outage")).cacheHit
            if !cached { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(cached, "the cache works again once its Redis is back")
        let after = try await Self.stats(h.client)
        #expect((after.chat?.errors ?? 0) > 0, "lookups during the outage were counted as errors")
        #expect(h.server.stderr.contains("response cache unavailable"), "the outage is logged")
    }
}
