import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `ResponseCacheStore`: batch get and set, TTL expiry, tenant isolation, flushing by
/// operation and org (ids with separator and glob characters included), statistics and binary-safe answers. On Redis
/// two stores with their own clients stand for two aigw instances sharing entries and counters.
@Suite struct ResponseCacheStoreBehaviourTests {
    typealias Backend = UsageStoreBehaviourTests.Backend

    final class Harness: @unchecked Sendable {
        let backend: Backend
        let clock = ManualClock()
        let stores: [any ResponseCacheStore]
        var store: any ResponseCacheStore { stores[0] }
        let clients: [RedisClient]
        private var keep: [AnyObject] = []

        init(_ backend: Backend) throws {
            self.backend = backend
            switch backend {
            case .memory:
                stores = [MemoryResponseCacheStore(maxBytes: 1 << 20, clock: clock)]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let prefix = "aigw-test:cache:\(UUID().uuidString.prefix(8)):"
                // A small SCAN batch, so flush and statistics walk several batches.
                stores = clients.map { RedisResponseCacheStore(client: $0, keyPrefix: prefix, scanCount: 7) }
            }
        }

        deinit {
            for client in clients { client.close() }
        }

        /// Lets `millis` pass: the memory store's clock, or real time for Redis's own expiry.
        func pass(millis: Int64) async throws {
            switch backend {
            case .memory: clock.advance(millis: millis)
            case .redis: try await Task.sleep(for: .milliseconds(millis))
            }
        }
    }

    static func key(_ text: String, org: String = "acme", user: String = "alice", endpoint: Endpoint = .chat,
                    scope: CacheScope = .org) -> CacheKey
    {
        CacheKey(CompletionRequest(userID: user, orgID: org, endpoint: endpoint, model: "gpt-4o-mini",
                                   messages: [ChatMessage(role: .user, content: text)]), scope: scope)
    }

    static func answer(_ content: String) -> CachedAnswer {
        CachedAnswer(id: "id-\(content.prefix(8))", provider: .anthropic, model: "claude-3-5-haiku", content: content,
                     finishReason: .stop, usage: TokenUsage(input: 12, cachedInput: 3, cacheWrite: 4, output: 7),
                     storedAtMillis: 1_767_225_600_000)
    }

    @Test(arguments: Backend.allCases)
    func batchGetAndSetKeepOrderAndAreSharedByInstances(backend: Backend) async throws {
        let h = try Harness(backend)
        let keys = (0..<5).map { Self.key("q\($0)") }
        try await h.store.set([1, 3].map { CacheEntry(key: keys[$0], answer: Self.answer("a\($0)"), ttlMillis: 60_000) })
        let got = try await h.stores.last!.get(keys)
        #expect(got == [nil, Self.answer("a1"), nil, Self.answer("a3"), nil])
        // Binary-safe: any content comes back byte for byte; a set replaces.
        let odd = "nul \u{0} crlf \r\n ünïcode 🎉 " + String(repeating: "z", count: 100_000)
        try await h.store.set([CacheEntry(key: keys[1], answer: Self.answer(odd), ttlMillis: 60_000)])
        #expect(try await h.store.get([keys[1]]) == [Self.answer(odd)])
        #expect(try await h.store.get([]) == [])
    }

    @Test(arguments: Backend.allCases)
    func entriesExpireAfterTheirTTL(backend: Backend) async throws {
        let h = try Harness(backend)
        let (short, long) = (Self.key("short"), Self.key("long"))
        try await h.store.set([
            CacheEntry(key: short, answer: Self.answer("s"), ttlMillis: 150),
            CacheEntry(key: long, answer: Self.answer("l"), ttlMillis: 60_000),
        ])
        #expect(try await h.store.get([short, long]).map { $0 != nil } == [true, true])
        try await h.pass(millis: 300)
        #expect(try await h.store.get([short, long]).map { $0 != nil } == [false, true])
    }

    @Test(arguments: Backend.allCases)
    func orgsNeverSeeEachOthersAnswers(backend: Backend) async throws {
        let h = try Harness(backend)
        try await h.store.set([CacheEntry(key: Self.key("same prompt", org: "acme"), answer: Self.answer("acme's"),
                                          ttlMillis: 60_000)])
        #expect(try await h.store.get([Self.key("same prompt", org: "globex")]) == [nil])
        #expect(try await h.store.get([Self.key("same prompt", org: "acme", user: "bob")]) == [Self.answer("acme's")])
        #expect(try await h.store.get([Self.key("same prompt", org: "acme", scope: .user)]) == [nil])
    }

    @Test(arguments: Backend.allCases)
    func flushByOperationByOrgAndAll(backend: Backend) async throws {
        let h = try Harness(backend)
        // Org ids that would widen a naive SCAN pattern or split a key differently.
        let orgs = ["acme", "acme:x", "ac*", "a%3Acme", ""]
        var entries: [CacheEntry] = []
        for org in orgs {
            for endpoint in [Endpoint.chat, .summarize] {
                for i in 0..<4 {
                    let scope: CacheScope = org.isEmpty ? .global : .org
                    entries.append(CacheEntry(key: Self.key("q\(i)", org: org, endpoint: endpoint, scope: scope),
                                              answer: Self.answer("x"), ttlMillis: 60_000))
                }
            }
        }
        try await h.store.set(entries)
        #expect(try await h.store.flush(endpoint: .chat, orgID: "acme") == 4)
        #expect(try await h.store.flush(endpoint: nil, orgID: "ac*") == 8)
        #expect(try await h.store.flush(endpoint: .summarize, orgID: nil) == 16)
        let left = try await h.store.get(entries.map(\.key)).enumerated().filter { $0.element != nil }.map {
            entries[$0.offset].key
        }
        #expect(Set(left.map(\.orgID)) == ["acme:x", "a%3Acme", ""])
        #expect(left.allSatisfy { $0.endpoint == .chat } && left.count == 12)
        #expect(try await h.stores.last!.flush(endpoint: nil, orgID: nil) == 12)
        #expect(try await h.store.get(entries.map(\.key)).allSatisfy { $0 == nil })
    }

    @Test(arguments: Backend.allCases)
    func statisticsCountPerOperation(backend: Backend) async throws {
        let h = try Harness(backend)
        let (a, b) = (Self.key("a"), Self.key("b", endpoint: .translation))
        try await h.store.set([CacheEntry(key: a, answer: Self.answer("aaaa"), ttlMillis: 60_000),
                               CacheEntry(key: b, answer: Self.answer("bb"), ttlMillis: 60_000)])
        _ = try await h.store.get([a, a, b, Self.key("missing")])
        _ = try await h.stores.last!.get([Self.key("missing", endpoint: .translation)])
        let stats = try await h.stores.last!.statistics()
        let chat = stats[.chat]!
        let translation = stats[.translation]!
        #expect(chat.hits == 2 && chat.misses == 1 && chat.stores == 1 && chat.entries == 1)
        #expect(translation.hits == 1 && translation.misses == 1 && translation.stores == 1 && translation.entries == 1)
        #expect(chat.bytes >= UInt64(Self.answer("aaaa").encodedSize))
        #expect(chat.bytes > translation.bytes)
        #expect(chat.hitRate == 2.0 / 3.0)
        #expect(stats[.search]?.hits ?? 0 == 0)
    }
}
