import GatewayCore
import Synchronization
import Testing

/// The response cache in Core: the key's canonical encoding, the memory store's TTL and LRU byte bound on an injected
/// clock, and single-flight. Both stores pass the same store behaviour in `ResponseCacheStoreBehaviourTests`.
@Suite struct ResponseCacheTests {
    static func request(
        _ text: String = "hello", org: String = "acme", user: String = "alice", requestID: String = "r1"
    ) -> CompletionRequest {
        CompletionRequest(
            requestID: requestID, userID: user, orgID: org, endpoint: .chat, model: "gpt-4o-mini",
            messages: [ChatMessage(role: .user, content: text)])
    }

    static func answer(_ content: String = "hi there", storedAt: Int64 = 0) -> CachedAnswer {
        CachedAnswer(
            id: "chatcmpl-1", provider: .openai, model: "gpt-4o-mini-2024-07-18", content: content,
            finishReason: .stop, usage: TokenUsage(input: 10, cachedInput: 2, cacheWrite: 1, output: 5),
            storedAtMillis: storedAt)
    }

    // MARK: Key

    @Test func theKeyIgnoresRequestIDAndTheOrderFieldsWereSetIn() {
        var a = CompletionRequest(model: "gpt-4o", messages: [])
        a.requestID = "first"
        a.orgID = "acme"
        a.temperature = 0.2
        a.stop = ["END", "STOP"]
        a.messages = [ChatMessage(role: .user, content: "x")]
        var b = CompletionRequest(model: "gpt-4o", messages: [ChatMessage(role: .user, content: "x")])
        b.stop = ["STOP", "END"]
        b.temperature = 0.2
        b.orgID = "acme"
        b.requestID = "second"
        #expect(CacheKey(a, scope: .org) == CacheKey(b, scope: .org))
        // -0 and 0 are the same temperature.
        a.temperature = -0.0
        b.temperature = 0
        #expect(CacheKey(a, scope: .org) == CacheKey(b, scope: .org))
    }

    @Test func everyFieldThatChangesTheAnswerChangesTheKey() {
        let base = Self.request()
        let mutations: [(String, (inout CompletionRequest) -> Void)] = [
            ("endpoint", { $0.endpoint = .summarize }),
            ("provider", { $0.provider = .openai }),
            ("model", { $0.model = "gpt-4o" }),
            ("fallback", { $0.fallbackModels = ["gpt-4o"] }),
            ("cross provider", { $0.allowCrossProviderFallback = true }),
            ("system prompt", { $0.systemPrompt = "be brief" }),
            ("empty system prompt", { $0.systemPrompt = "" }),
            ("message content", { $0.messages[0].content = "hello!" }),
            ("message role", { $0.messages[0].role = .assistant }),
            ("message name", { $0.messages[0].name = "bob" }),
            ("another message", { $0.messages.append(ChatMessage(role: .user, content: "")) }),
            ("temperature", { $0.temperature = 0.7 }),
            ("top_p", { $0.topP = 0.9 }),
            ("max tokens", { $0.maxTokens = 100 }),
            ("stop", { $0.stop = ["\n"] }),
            ("response format", { $0.responseFormat = .jsonObject }),
            ("org", { $0.orgID = "globex" }),
        ]
        let key = CacheKey(base, scope: .org)
        var seen: Set<CacheKey> = [key]
        for (name, mutate) in mutations {
            var changed = base
            mutate(&changed)
            let other = CacheKey(changed, scope: .org)
            #expect(other != key, "\(name) did not change the key")
            #expect(seen.insert(other).inserted, "\(name) collided with another mutation")
        }
        // Length prefixes: moving text between adjacent fields or messages is a different request.
        var split1 = base
        split1.messages = [ChatMessage(role: .user, content: "ab"), ChatMessage(role: .user, content: "c")]
        var split2 = base
        split2.messages = [ChatMessage(role: .user, content: "a"), ChatMessage(role: .user, content: "bc")]
        #expect(CacheKey(split1, scope: .org) != CacheKey(split2, scope: .org))
        var stop1 = base
        stop1.stop = ["a,b"]
        var stop2 = base
        stop2.stop = ["a", "b"]
        #expect(CacheKey(stop1, scope: .org) != CacheKey(stop2, scope: .org))
    }

    @Test func theScopeDecidesWhoShares() {
        let alice = Self.request(user: "alice")
        let bob = Self.request(user: "bob")
        let otherOrg = Self.request(org: "globex", user: "alice")
        #expect(CacheKey(alice, scope: .org) == CacheKey(bob, scope: .org))
        #expect(CacheKey(alice, scope: .org) != CacheKey(otherOrg, scope: .org))
        #expect(CacheKey(alice, scope: .user) != CacheKey(bob, scope: .user))
        #expect(CacheKey(alice, scope: .user) != CacheKey(otherOrg, scope: .user))
        #expect(CacheKey(alice, scope: .global) == CacheKey(otherOrg, scope: .global))
        #expect(CacheKey(alice, scope: .global).orgID == "")
        #expect(CacheKey(alice, scope: .org).orgID == "acme")
        // Without an org, the org scope falls back to the user: org-less callers never share.
        let loneAlice = Self.request(org: "", user: "alice")
        let loneBob = Self.request(org: "", user: "bob")
        #expect(CacheKey(loneAlice, scope: .org) != CacheKey(loneBob, scope: .org))
        // An org named like a user is still another tenant.
        #expect(CacheKey(Self.request(org: "alice", user: "x"), scope: .org) != CacheKey(loneAlice, scope: .org))
    }

    /// The documented encoding (docs/protocol.md, "Response cache") reproduced independently: this vector was computed
    /// with a few lines of Python from the documentation alone.
    @Test func theKeyMatchesTheDocumentedEncoding() {
        var r = CompletionRequest(
            requestID: "ignored", userID: "alice", orgID: "acme", endpoint: .chat, model: "gpt-4o-mini",
            systemPrompt: "Be brief.", messages: [ChatMessage(role: .user, content: "Hi", name: "al")],
            temperature: 0.5, maxTokens: 64, stop: ["b", "a"])
        r.fallbackModels = ["gpt-4o"]
        #expect(CacheKey(r, scope: .org).hex == Self.documentedVector)
    }

    static let documentedVector = "1e2e492f59126b4da00c745326a9f4d45589d85cd653d4e31c07fc0b079d4c35"

    @Test func storedAnswersRoundTripAndDamagedOnesAreRejected() {
        let a = Self.answer("ünïcode \u{0} and bytes", storedAt: 1_767_225_600_123)
        let bytes = a.encoded()
        #expect(bytes.count == a.encodedSize)
        #expect(CachedAnswer(encoded: bytes) == a)
        #expect(CachedAnswer(encoded: Array(bytes.dropLast())) == nil)
        #expect(CachedAnswer(encoded: bytes + [0]) == nil)
        #expect(CachedAnswer(encoded: [2] + bytes.dropFirst()) == nil)
        #expect(CachedAnswer(encoded: []) == nil)
    }

    // MARK: Memory store

    @Test func entriesExpireAfterTheirTTLOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let store = MemoryResponseCacheStore(maxBytes: 1 << 20, clock: clock)
        let key = CacheKey(Self.request(), scope: .org)
        try await store.set([CacheEntry(key: key, answer: Self.answer(), ttlMillis: 1_000)])
        clock.advance(millis: 999)
        #expect(try await store.get([key]) == [Self.answer()])
        clock.advance(millis: 1)
        #expect(try await store.get([key]) == [nil])
        let stats = try await store.statistics()[.chat]!
        #expect(stats.hits == 1 && stats.misses == 1 && stats.stores == 1 && stats.entries == 0 && stats.bytes == 0)
    }

    @Test func theLeastRecentlyUsedEntriesAreEvictedPastTheByteBound() async throws {
        let clock = ManualClock()
        let entryBytes = Self.answer().encodedSize + "acme".utf8.count + MemoryResponseCacheStore.overheadBytes
        let store = MemoryResponseCacheStore(maxBytes: entryBytes * 3, clock: clock)
        let keys = (0..<5).map { CacheKey(Self.request("q\($0)"), scope: .org) }
        for key in keys.prefix(3) {
            try await store.set([CacheEntry(key: key, answer: Self.answer(), ttlMillis: 60_000)])
        }
        #expect(store.bytes == entryBytes * 3)
        _ = try await store.get([keys[0]])  // keys[0] is now the most recently used; keys[1] the least.
        try await store.set([CacheEntry(key: keys[3], answer: Self.answer(), ttlMillis: 60_000)])
        #expect(try await store.get(keys.prefix(4).map { $0 }).map { $0 != nil } == [true, false, true, true])
        #expect(store.bytes <= entryBytes * 3)
        // Many more entries never take the store past its bound.
        for i in 0..<200 {
            try await store.set([CacheEntry(key: CacheKey(Self.request("bulk \(i)"), scope: .org),
                                            answer: Self.answer(), ttlMillis: 60_000)])
            #expect(store.bytes <= entryBytes * 3)
        }
        let stats = try await store.statistics()[.chat]!
        #expect(stats.evictions == 201)
        #expect(stats.entries == 3 && stats.bytes == UInt64(entryBytes * 3))
        // An entry larger than the whole bound is not stored and evicts nothing.
        try await store.set([CacheEntry(key: keys[4], answer: Self.answer(String(repeating: "x", count: entryBytes * 3)),
                                        ttlMillis: 60_000)])
        #expect(try await store.get([keys[4]]) == [nil])
        #expect(try await store.statistics()[.chat]!.entries == 3)
    }

    @Test func expiredEntriesGoBeforeLiveOnesAreEvicted() async throws {
        let clock = ManualClock()
        let entryBytes = Self.answer().encodedSize + "acme".utf8.count + MemoryResponseCacheStore.overheadBytes
        let store = MemoryResponseCacheStore(maxBytes: entryBytes * 2, clock: clock)
        let (short, long, new) = (CacheKey(Self.request("a"), scope: .org), CacheKey(Self.request("b"), scope: .org),
                                  CacheKey(Self.request("c"), scope: .org))
        try await store.set([CacheEntry(key: long, answer: Self.answer(), ttlMillis: 60_000)])
        try await store.set([CacheEntry(key: short, answer: Self.answer(), ttlMillis: 10)])
        clock.advance(millis: 10)
        try await store.set([CacheEntry(key: new, answer: Self.answer(), ttlMillis: 60_000)])
        #expect(try await store.get([long, new]).map { $0 != nil } == [true, true])
        #expect(try await store.statistics()[.chat]!.evictions == 0)
    }

    // MARK: Single-flight

    final class Harness: Sendable {
        let clock = ManualClock()
        let store: MemoryResponseCacheStore
        let cache: ResponseCache
        let errors = BudgetServiceTests.ErrorLog()

        init(store override: (any ResponseCacheStore)? = nil, settings: CacheSettings = CacheSettings()) {
            store = MemoryResponseCacheStore(maxBytes: 1 << 20, clock: clock)
            let errors = self.errors
            cache = ResponseCache(store: override ?? store, settings: settings, clock: clock) { operation, _ in
                errors.messages.withLock { $0.append(operation) }
            }
        }

        func waitForWaiters(_ n: Int) async throws {
            for _ in 0..<2_000 where cache.waiting < n { try await Task.sleep(for: .milliseconds(1)) }
            #expect(cache.waiting == n)
        }
    }

    enum Got: Equatable { case hit, shared, lead, alone }

    static func classify(_ r: ResponseCache.Resolution) -> Got {
        switch r {
        case .hit: .hit
        case .shared: .shared
        case .lead: .lead
        case .alone: .alone
        }
    }

    @Test func concurrentIdenticalRequestsShareOneLeadersAnswer() async throws {
        let h = Harness()
        let key = h.cache.key(for: Self.request())
        guard case .lead(let flight) = try await h.cache.resolve(key) else {
            Issue.record("the first request must lead")
            return
        }
        let answers = Task {
            try await withThrowingTaskGroup(of: ResponseCache.Resolution.self) { group in
                for _ in 0..<99 { group.addTask { try await h.cache.resolve(key) } }
                var all: [ResponseCache.Resolution] = []
                for try await r in group { all.append(r) }
                return all
            }
        }
        try await h.waitForWaiters(99)
        await h.cache.finish(flight, with: Self.answer().completion)
        let all = try await answers.value
        #expect(all.map(Self.classify) == Array(repeating: .shared, count: 99))
        // Stored before the waiters were released: the next request is a plain hit.
        #expect(Self.classify(try await h.cache.resolve(key)) == .hit)
        let stats = try await h.cache.statistics()[.chat]!
        #expect(stats.hits == 100 && stats.misses == 1 && stats.stores == 1)
    }

    @Test func waitersOfAFailedLeaderGoAloneAndNothingIsCached() async throws {
        let h = Harness()
        let key = h.cache.key(for: Self.request())
        guard case .lead(let flight) = try await h.cache.resolve(key) else { throw CancellationError() }
        let waiters = (0..<3).map { _ in Task { try await h.cache.resolve(key) } }
        try await h.waitForWaiters(3)
        h.cache.abandon(flight)
        for w in waiters { #expect(Self.classify(try await w.value) == .alone) }
        #expect(Self.classify(try await h.cache.resolve(key)) == .lead)
    }

    @Test func aCancelledWaiterStopsWaitingAndTheOthersStillGetTheAnswer() async throws {
        let h = Harness()
        let key = h.cache.key(for: Self.request())
        guard case .lead(let flight) = try await h.cache.resolve(key) else { throw CancellationError() }
        let cancelled = Task { try await h.cache.resolve(key) }
        let patient = Task { try await h.cache.resolve(key) }
        try await h.waitForWaiters(2)
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(h.cache.waiting == 1)
        await h.cache.finish(flight, with: Self.answer().completion)
        #expect(Self.classify(try await patient.value) == .shared)
    }

    @Test func waitersAreBounded() async throws {
        var settings = CacheSettings()
        settings.maxWaitersPerKey = 2
        let h = Harness(settings: settings)
        let key = h.cache.key(for: Self.request())
        guard case .lead(let flight) = try await h.cache.resolve(key) else { throw CancellationError() }
        let waiters = (0..<2).map { _ in Task { try await h.cache.resolve(key) } }
        try await h.waitForWaiters(2)
        #expect(Self.classify(try await h.cache.resolve(key)) == .alone)
        await h.cache.finish(flight, with: Self.answer().completion)
        for w in waiters { #expect(Self.classify(try await w.value) == .shared) }
    }

    @Test func controlsBypassNoStoreAndTTL() async throws {
        let h = Harness()
        let key = h.cache.key(for: Self.request())
        // no_store reads but never leads, and its answer is not kept.
        #expect(Self.classify(try await h.cache.resolve(key, control: CacheControl(noStore: true))) == .alone)
        await h.cache.store(key, Self.answer().completion, control: CacheControl(noStore: true))
        #expect(try await h.store.get([key]) == [nil])
        // A TTL of 0 stores nothing; an override replaces the endpoint's TTL.
        await h.cache.store(key, Self.answer().completion, control: CacheControl(ttlSeconds: 0))
        #expect(try await h.store.get([key]) == [nil])
        await h.cache.store(key, Self.answer().completion, control: CacheControl(ttlSeconds: 1))
        #expect(Self.classify(try await h.cache.resolve(key)) == .hit)
        // bypass skips the read (and the flight) even though the answer is there.
        #expect(Self.classify(try await h.cache.resolve(key, control: CacheControl(bypass: true))) == .alone)
        h.clock.advance(millis: 1_000)
        #expect(Self.classify(try await h.cache.resolve(key)) == .lead)
    }

    @Test func theEndpointsTTLAppliesAndCancelledOrOversizedAnswersAreNotStored() async throws {
        var settings = CacheSettings()
        settings.maxEntryBytes = 1_024
        let h = Harness(settings: settings)
        let key = h.cache.key(for: Self.request())
        await h.cache.store(key, Self.answer(String(repeating: "y", count: 2_000)).completion, control: .default)
        #expect(try await h.store.get([key]) == [nil])
        var cut = Self.answer().completion
        cut.finishReason = .cancelled
        await h.cache.store(key, cut, control: .default)
        #expect(try await h.store.get([key]) == [nil])
        await h.cache.store(key, Self.answer().completion, control: .default)
        h.clock.advance(millis: 299_999)
        #expect(try await h.store.get([key]).first??.content == Self.answer().content)
        h.clock.advance(millis: 1)
        #expect(try await h.store.get([key]) == [nil])
    }

    /// A store that is down: every call throws, as an unreachable Redis does.
    struct BrokenStore: ResponseCacheStore {
        var backend: String { "broken" }
        func get(_ keys: [CacheKey]) async throws -> [CachedAnswer?] { throw GatewayError(.unavailable, "down") }
        func set(_ entries: [CacheEntry]) async throws { throw GatewayError(.unavailable, "down") }
        func flush(endpoint: Endpoint?, orgID: String?) async throws -> UInt64 { throw GatewayError(.unavailable, "down") }
        func statistics() async throws -> [Endpoint: CacheStatistics] { [:] }
    }

    @Test func aFailingStoreIsAMissCountedAndReportedNeverAnError() async throws {
        let h = Harness(store: BrokenStore())
        let key = h.cache.key(for: Self.request())
        guard case .lead(let flight) = try await h.cache.resolve(key) else { throw CancellationError() }
        await h.cache.finish(flight, with: Self.answer().completion)
        #expect(h.errors.messages.withLock { $0 } == ["lookup", "store"])
        let stats = try await h.cache.statistics()[.chat]!
        #expect(stats.errors == 2 && stats.misses == 1 && stats.hits == 0)
    }
}
