import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `UsageStore`: the in-memory store and the Redis store must agree, and both must keep
/// aggregates that equal the sum of the distinct records exactly.
@Suite struct UsageStoreBehaviourTests {
    enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
        case memory
        case redis
        var description: String { rawValue }
    }

    static let day = UTCDate("2026-03-10")!

    /// Fresh stores over one backend. On Redis every harness has its own key prefix, so tests run in parallel on
    /// one server without seeing each other; `stores` are two instances sharing it, each with its own client, like
    /// two aigw processes.
    final class Harness: @unchecked Sendable {
        let stores: [any UsageStore]
        var store: any UsageStore { stores[0] }
        let clients: [RedisClient]
        let prefix = "aigw-test:usage:\(UUID().uuidString.prefix(8)):"
        private var keep: [AnyObject] = []

        init(_ backend: Backend) throws {
            switch backend {
            case .memory:
                // The clock only bounds what is remembered; a day after the test records keeps everything.
                let clock = ManualClock(unixMillis: UsageStoreBehaviourTests.day.adding(days: 1).startUnixMillis)
                stores = [MemoryUsageStore(clock: clock)]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let prefix = prefix
                stores = clients.map { RedisUsageStore(client: $0, keyPrefix: prefix) }
            }
        }

        deinit {
            for client in clients { client.close() }
        }

        func days(
            _ scope: UsageScope, from: UTCDate = UsageStoreBehaviourTests.day, to: UTCDate = UsageStoreBehaviourTests.day
        ) async throws -> [UTCDate: UsageBreakdown] {
            try await store.days(scope, from: from, to: to)
        }

        func totals(_ scope: UsageScope, on date: UTCDate = UsageStoreBehaviourTests.day) async throws -> UsageTotals? {
            try await store.days(scope, from: date, to: date)[date]?.totals
        }
    }

    static func record(
        _ id: String, user: String = "u1", org: String = "o1", endpoint: Endpoint = .chat, model: String = "gpt-4o-mini",
        usage: TokenUsage = TokenUsage(input: 1_000, output: 500), cost: Int64 = 450_000, at millis: Int64? = nil,
        cacheHit: Bool = false
    ) -> UsageRecord {
        UsageRecord(requestID: id, userID: user, orgID: org, endpoint: endpoint, provider: .openai, model: model,
                    usage: usage, costNanos: cost, occurredAtMillis: millis ?? day.startUnixMillis + 43_200_000,
                    cacheHit: cacheHit)
    }

    /// What the stores must report: the records' totals added up in Swift.
    static func expected(_ records: [UsageRecord]) -> UsageBreakdown {
        records.reduce(UsageBreakdown.zero) { sum, r in
            let t = UsageTotals(r)
            return sum + UsageBreakdown(totals: t, byModel: [r.model: t], byEndpoint: [r.endpoint: t])
        }
    }

    @Test(arguments: Backend.allCases)
    func aRequestIDIsRecordedOnce(backend: Backend) async throws {
        let h = try Harness(backend)
        #expect(try await h.store.record(Self.record("req-1")))
        #expect(try await !h.store.record(Self.record("req-1")))
        // A retry with other figures changes nothing either: the first report wins.
        #expect(try await !h.store.record(Self.record("req-1", user: "u2", cost: 9_999, at: Self.day.startUnixMillis)))
        let expected = Self.expected([Self.record("req-1")])
        for scope in [UsageScope.all, .user("u1"), .org("o1")] {
            #expect(try await h.days(scope) == [Self.day: expected], "\(scope)")
        }
        #expect(try await h.days(.user("u2")).isEmpty)
        #expect(try await h.store.record(Self.record("req-2")))
        #expect(try await h.totals(.all)?.requests == 2)
        #expect(try await h.totals(.all)?.costNanos == 900_000)
    }

    @Test(arguments: Backend.allCases)
    func aggregatesSplitByScopeModelAndEndpoint(backend: Backend) async throws {
        let h = try Harness(backend)
        // Ids and model names may contain ':' (fine-tuned OpenAI models always do).
        let tuned = "ft:gpt-4o-mini:acme:v1:abc123"
        let records = [
            Self.record("a", user: "team:alice", org: "acme"),
            Self.record("b", user: "team:alice", org: "acme", endpoint: .summarize, model: "claude-3-5-haiku-20241022",
                        usage: TokenUsage(input: 2_000, cachedInput: 500, cacheWrite: 100, output: 300), cost: 2_940_000),
            Self.record("c", user: "bob", org: "acme", endpoint: .chat, model: tuned,
                        usage: TokenUsage(input: 10, output: 20), cost: 12_345),
            Self.record("d", user: "carol", org: "org:2", endpoint: .embeddings, model: "text-embedding-3-small",
                        usage: TokenUsage(input: 8_000), cost: 160_000),
            Self.record("e", user: "", org: "acme", endpoint: .translation, model: "gpt-4o", cost: 1),
        ]
        for r in records { #expect(try await h.store.record(r)) }

        let all = try #require(try await h.days(.all)[Self.day])
        #expect(all == Self.expected(records))
        #expect(all.totals == UsageTotals(requests: 5, usage: TokenUsage(input: 12_010, cachedInput: 500,
                                                                          cacheWrite: 100, output: 1_320),
                                          costNanos: 450_000 + 2_940_000 + 12_345 + 160_000 + 1))
        #expect(all.byModel[tuned] == UsageTotals(requests: 1, usage: TokenUsage(input: 10, output: 20), costNanos: 12_345))
        #expect(all.byModel.count == 5)
        #expect(Set(all.byEndpoint.keys) == [.chat, .summarize, .embeddings, .translation])
        #expect(all.byEndpoint[.chat]?.requests == 2)

        #expect(try await h.days(.user("team:alice")) == [Self.day: Self.expected(Array(records[0...1]))])
        #expect(try await h.days(.user("bob")) == [Self.day: Self.expected([records[2]])])
        #expect(try await h.days(.org("acme")) == [Self.day: Self.expected([records[0], records[1], records[2], records[4]])])
        #expect(try await h.days(.org("org:2")) == [Self.day: Self.expected([records[3]])])
        // An empty user id names no one: that record counts for everyone and its org only.
        #expect(try await h.days(.user("")).isEmpty)
        #expect(try await h.days(.user("team")).isEmpty)
        #expect(try await h.days(.org("org")).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func recordsLandOnTheirUTCDay(backend: Backend) async throws {
        let h = try Harness(backend)
        let d = Self.day
        let records = [
            Self.record("last-ms-before", cost: 1, at: d.startUnixMillis - 1),
            Self.record("first-ms", cost: 10, at: d.startUnixMillis),
            Self.record("last-ms", cost: 100, at: d.adding(days: 1).startUnixMillis - 1),
            Self.record("next-day", cost: 1_000, at: d.adding(days: 1).startUnixMillis),
            Self.record("week-later", cost: 10_000, at: d.adding(days: 7).startUnixMillis + 5),
        ]
        for r in records { #expect(try await h.store.record(r)) }

        let days = try await h.days(.all, from: d.adding(days: -1), to: d.adding(days: 7))
        // Days without usage are absent.
        #expect(days.keys.sorted() == [d.adding(days: -1), d, d.adding(days: 1), d.adding(days: 7)])
        #expect(days[d.adding(days: -1)]?.totals.costNanos == 1)
        #expect(days[d]?.totals.costNanos == 110)
        #expect(days[d]?.totals.requests == 2)
        #expect(days[d.adding(days: 1)]?.totals.costNanos == 1_000)
        #expect(days[d.adding(days: 7)]?.totals.costNanos == 10_000)
        #expect(try await h.days(.user("u1"), from: d, to: d.adding(days: 1)).keys.sorted() == [d, d.adding(days: 1)])
        #expect(try await h.days(.org("o1"), from: d, to: d) == [d: Self.expected(Array(records[1...2]))])
        #expect(try await h.days(.all, from: d.adding(days: 2), to: d.adding(days: 6)).isEmpty)
        #expect(try await h.days(.all, from: d.adding(days: 1), to: d).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func spenderRankingsBreakTiesByID(backend: Backend) async throws {
        let h = try Harness(backend)
        let d = Self.day
        let spend: [(user: String, org: String, cost: Int64, day: Int64)] = [
            ("alice", "acme", 300, 0), ("alice", "acme", 200, 1),  // 500 over both days
            ("carol", "acme", 300, 0),
            ("bob", "beta", 100, 0), ("bob", "beta", 200, 1),  // 300, tied with carol
            ("dave", "beta", 100, 1),
            ("erin", "gamma", 0, 0),  // a free (cache-hit) request still ranks, last
            ("zed", "gamma", 900, 5),  // outside the ranked range
        ]
        for (i, s) in spend.enumerated() {
            let at = d.adding(days: s.day).startUnixMillis + 1_000
            #expect(try await h.store.record(Self.record("r\(i)", user: s.user, org: s.org, cost: s.cost, at: at)))
        }
        let to = d.adding(days: 1)
        let top = try await h.store.topSpenders(.user, from: d, to: to, limit: 10)
        #expect(top.map(\.id) == ["alice", "bob", "carol", "dave", "erin"])
        #expect(top.map(\.totals.costNanos) == [500, 300, 300, 100, 0])
        #expect(top[0].totals.requests == 2 && top[0].totals.usage.input == 2_000)
        // The tie at the cut goes to the smaller id.
        #expect(try await h.store.topSpenders(.user, from: d, to: to, limit: 2).map(\.id) == ["alice", "bob"])
        #expect(try await h.store.topSpenders(.user, from: d, to: to, limit: 1).map(\.id) == ["alice"])
        #expect(try await h.store.topSpenders(.user, from: d, to: to, limit: 0).isEmpty)
        // One day only: alice and carol tie at 300.
        let first = try await h.store.topSpenders(.user, from: d, to: d, limit: 2)
        #expect(first.map(\.id) == ["alice", "carol"] && first.map(\.totals.costNanos) == [300, 300])
        #expect(try await h.store.topSpenders(.user, from: d, to: d.adding(days: 5), limit: 1).map(\.id) == ["zed"])

        let orgs = try await h.store.topSpenders(.org, from: d, to: to, limit: 5)
        #expect(orgs.map(\.id) == ["acme", "beta", "gamma"])
        #expect(orgs.map(\.totals.costNanos) == [800, 400, 0])
        #expect(orgs.map(\.totals.requests) == [3, 3, 1])
        #expect(try await h.store.topSpenders(.org, from: d.adding(days: 2), to: d.adding(days: 4), limit: 5).isEmpty)
        // A range of decades (more days than one Redis call can take as arguments at once) ranks the same.
        let decades = try await h.store.topSpenders(.user, from: d.adding(days: -9_000), to: d.adding(days: 1), limit: 3)
        #expect(decades.map(\.id) == ["alice", "bob", "carol"])
    }

    @Test(arguments: Backend.allCases)
    func cacheHitsAreCountedAtNoCost(backend: Backend) async throws {
        let h = try Harness(backend)
        #expect(try await h.store.record(Self.record("paid")))
        #expect(try await h.store.record(Self.record("hit-1", cost: 0, cacheHit: true)))
        #expect(try await h.store.record(Self.record("hit-2", endpoint: .search, cost: 0, cacheHit: true)))
        let all = try #require(try await h.days(.all)[Self.day])
        #expect(all.totals.requests == 3 && all.totals.cacheHits == 2 && all.totals.costNanos == 450_000)
        #expect(all.totals.usage.input == 3_000)
        #expect(all.byModel["gpt-4o-mini"]?.cacheHits == 2)
        #expect(all.byEndpoint[.chat]?.cacheHits == 1 && all.byEndpoint[.search]?.cacheHits == 1)
        #expect(all.byEndpoint[.search]?.costNanos == 0 && all.byEndpoint[.search]?.requests == 1)
        #expect(try await h.totals(.user("u1"))?.cacheHits == 2)
        #expect(try await h.totals(.org("o1"))?.averageCostNanos == 150_000)
    }

    @Test(arguments: Backend.allCases)
    func tenThousandConcurrentRecordsAddUpExactly(backend: Backend) async throws {
        let h = try Harness(backend)
        let models = ["gpt-4o-mini", "claude-3-5-sonnet-20241022", "ft:gpt-4o:acme::x1"]
        let prices = PriceTable.productDefaults
        var distinct: [UsageRecord] = []
        for i in 0..<9_000 {
            let model = models[i % models.count]
            let usage = TokenUsage(input: UInt64(i % 997 + 1), cachedInput: UInt64(i % 13), cacheWrite: UInt64(i % 7),
                                   output: UInt64(i % 401))
            let hit = i % 10 == 0
            distinct.append(Self.record(
                "req-\(i)", user: "user-\(i % 37)", org: "org-\(i % 5)", endpoint: Endpoint.allCases[i % 5],
                model: model, usage: usage, cost: hit ? 0 : prices.cost(model: model, usage: usage) ?? 7 * Int64(i),
                at: Self.day.startUnixMillis + Int64(i) * 19_000, cacheHit: hit))
        }
        // Retries: a thousand records are reported twice, from either instance.
        let submissions = distinct + stride(from: 0, to: 9_000, by: 9).map { distinct[$0] }
        #expect(submissions.count == 10_000)
        let recorded = try await withThrowingTaskGroup(of: Int.self) { group in
            let workers = 100
            for w in 0..<workers {
                let store = h.stores[w % h.stores.count]
                group.addTask {
                    var n = 0
                    for j in stride(from: w, to: submissions.count, by: workers) where try await store.record(submissions[j]) {
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(recorded == distinct.count)

        let d = Self.day
        let byDay = Dictionary(grouping: distinct) { UTCDate(unixMillis: $0.occurredAtMillis) }
        #expect(byDay.count == 2)
        #expect(try await h.days(.all, from: d, to: d.adding(days: 1)) == byDay.mapValues(Self.expected))
        for u in [0, 1, 36] {
            let mine = distinct.filter { $0.userID == "user-\(u)" }
            let days = try await h.stores.last!.days(.user("user-\(u)"), from: d, to: d.adding(days: 1))
            #expect(days == Dictionary(grouping: mine) { UTCDate(unixMillis: $0.occurredAtMillis) }.mapValues(Self.expected))
        }
        let orgTotals = Dictionary(grouping: distinct, by: \.orgID).mapValues { Self.expected($0).totals }
        let ranking = try await h.store.topSpenders(.org, from: d, to: d.adding(days: 1), limit: 5)
        #expect(ranking.count == 5)
        #expect(Dictionary(uniqueKeysWithValues: ranking.map { ($0.id, $0.totals) }) == orgTotals)
        #expect(ranking.map(\.totals.costNanos) == orgTotals.values.map(\.costNanos).sorted(by: >))
        // Everything recorded is remembered: a second pass records nothing.
        for r in distinct.prefix(50) { #expect(try await !h.stores.last!.record(r)) }
    }

    @Test func redisKeysCarryTheirPrefixAndExpire() async throws {
        let h = try Harness(.redis)
        #expect(try await h.store.record(Self.record("ttl", user: "u:1", org: "o:1", model: "m:x")))
        let client = h.clients[0]
        let claimTTL = try #require(try await client.send(["TTL", h.prefix + "req:ttl"]).integer)
        #expect((8 * 86_400 - 5)...(8 * 86_400) ~= claimTTL)
        for key in ["day:2026-03-10:all", "day:2026-03-10:user:u:1", "day:2026-03-10:org:o:1", "spend:2026-03-10:user",
                    "spend:2026-03-10:org"] {
            let ttl = try #require(try await client.send(["TTL", h.prefix + key]).integer, "\(key)")
            #expect((400 * 86_400 - 5)...(400 * 86_400) ~= ttl, "\(key)")
        }
        let cost = try await client.send(["HGET", h.prefix + "day:2026-03-10:user:u:1", "m:cost:m:x"])
        #expect(cost.string == "450000")
        // The ranking's scratch key is gone once the ranking is read.
        _ = try await h.store.topSpenders(.user, from: Self.day, to: Self.day, limit: 3)
        let scratch = try await client.send(["KEYS", h.prefix + "tmp:*"])
        #expect(scratch.array?.isEmpty == true)
    }

    @Test(arguments: Backend.allCases)
    func aBatchRecordsExactlyWhatOneByOneWould(backend: Backend) async throws {
        let batched = try Harness(backend)
        let single = try Harness(backend)
        let models = ["gpt-4o-mini", "ft:gpt-4o:acme::x1", "claude-3-5-haiku-20241022"]
        var records: [UsageRecord] = []
        for i in 0..<600 {
            let hit = i % 3 == 0
            records.append(Self.record(
                "b-\(i)", user: i % 11 == 0 ? "" : "user:\(i % 7)", org: i % 13 == 0 ? "" : "org-\(i % 3)",
                endpoint: Endpoint.allCases[i % Endpoint.allCases.count], model: models[i % models.count],
                usage: TokenUsage(input: UInt64(i % 50), cachedInput: UInt64(i % 4), output: UInt64(i % 9)),
                cost: hit ? 0 : Int64(i) * 1_001, at: Self.day.startUnixMillis + Int64(i) * 170_000, cacheHit: hit))
        }
        // One caller's hits: identical but for the request id, so a batch adds them as one group.
        for i in 0..<150 {
            records.append(Self.record(
                "same-\(i)", user: "user:1", org: "org-2", usage: TokenUsage(input: 1_000, output: 500), cost: 0,
                cacheHit: true))
        }
        // Figures past 2^53, which a double cannot hold: the script must not sum them in Lua.
        for i in 0..<3 {
            records.append(Self.record(
                "big-\(i)", user: "whale", org: "org-0", usage: TokenUsage(input: (1 << 53) + 1, output: 1),
                cost: (1 << 53) + 3))
        }
        // Retries: some ids again later, and within one batch.
        let submissions = records + stride(from: 0, to: records.count, by: 17).map { records[$0] }
            + [records[5], records[5]]
        for r in submissions.prefix(40) {
            _ = try await batched.store.record(r)
        }
        var batchedFlags: [Bool] = []
        var from = 40
        while from < submissions.count {
            let to = min(submissions.count, from + 64)
            batchedFlags += try await batched.store.record(Array(submissions[from..<to]))
            from = to
        }
        var singleFlags: [Bool] = []
        for r in submissions.prefix(40) { _ = try await single.store.record(r) }
        for r in submissions.dropFirst(40) { singleFlags.append(try await single.store.record(r)) }
        #expect(batchedFlags == singleFlags)
        #expect(batchedFlags.filter { $0 }.count == records.count - 40)

        let (d, next) = (Self.day, Self.day.adding(days: 1))
        var scopes: [UsageScope] = [.all, .user("whale"), .user(""), .org("")]
        scopes += (0..<7).map { .user("user:\($0)") } + (0..<3).map { .org("org-\($0)") }
        for scope in scopes {
            let expected = try await single.store.days(scope, from: d, to: next)
            #expect(try await batched.store.days(scope, from: d, to: next) == expected, "\(scope)")
        }
        let all = try await batched.store.days(.all, from: d, to: next)
        let byDay = Dictionary(grouping: records) { UTCDate(unixMillis: $0.occurredAtMillis) }
        #expect(all == byDay.mapValues(Self.expected))
        #expect(all[d]?.byModel["gpt-4o-mini"]?.usage.input ?? 0 > 3 << 53, "the big figures were added exactly")
        for level in [SpenderLevel.user, .org] {
            let a = try await batched.store.topSpenders(level, from: d, to: next, limit: 5)
            let b = try await single.store.topSpenders(level, from: d, to: next, limit: 5)
            #expect(a.map(\.id) == b.map(\.id) && a.map(\.totals) == b.map(\.totals), "\(level)")
        }
        if backend == .redis {
            // The same hash fields, created under the same rules (zero figures left out, requests always there).
            for key in ["day:2026-03-10:all", "day:2026-03-10:user:user:1", "day:2026-03-11:org:org-2",
                        "day:2026-03-10:user:whale"] {
                let a = try await batched.clients[0].send(["HGETALL", batched.prefix + key]).array ?? []
                let b = try await single.clients[0].send(["HGETALL", single.prefix + key]).array ?? []
                #expect(Self.pairs(a) == Self.pairs(b) && !a.isEmpty, "\(key)")
                let ttl = try await batched.clients[0].send(["TTL", batched.prefix + key]).integer ?? 0
                #expect((400 * 86_400 - 5)...(400 * 86_400) ~= ttl, "\(key)")
            }
            let spendA = try await batched.clients[0].send(["ZRANGE", batched.prefix + "spend:2026-03-10:user", "0", "-1"])
            let spendB = try await single.clients[0].send(["ZRANGE", single.prefix + "spend:2026-03-10:user", "0", "-1"])
            #expect(Set((spendA.array ?? []).compactMap(\.string)) == Set((spendB.array ?? []).compactMap(\.string)))
        }
    }

    /// An HGETALL reply as a dictionary.
    static func pairs(_ flat: [RedisValue]) -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < flat.count {
            out[flat[i].string ?? ""] = flat[i + 1].string ?? ""
            i += 2
        }
        return out
    }
}
