import GatewayCore

/// Usage records and their daily aggregates in Redis, shared by every aigw instance.
///
/// One Lua script per record claims the request id and adds the record to every aggregate it belongs to, atomically,
/// so the aggregates equal the sum of the distinct records whichever instance recorded them and however often a
/// record was retried. All counters are Redis integers (HINCRBY): money and tokens are never summed in floating point.
///
/// Layout, under the key prefix (`aigw:usage:` by default):
/// - `req:<requestID>` = `1`, with `SET NX EX` for `idempotencyWindowSeconds` (8 days by default): the idempotency
///   claim. A duplicate arriving after it expired is counted again.
/// - `day:<YYYY-MM-DD>:all`, `day:<YYYY-MM-DD>:user:<userID>`, `day:<YYYY-MM-DD>:org:<orgID>`: hashes with the day's
///   totals in the fields `requests`, `input`, `cached_input`, `cache_write`, `output`, `cost` (nano-dollars) and
///   `cache_hits`, and the same figures per model in `m:<field>:<model>` and per endpoint in `e:<field>:<endpoint>`.
///   The id, model or endpoint is always the last part, after fixed parts that contain no `:`, so ids and model
///   names may contain `:` and still parse unambiguously.
/// - `spend:<YYYY-MM-DD>:user`, `spend:<YYYY-MM-DD>:org`: sorted sets of ids scored by the day's cost, for rankings.
///   Scores are doubles, which hold integers exactly up to 2^53 nano-dollars (about $9 million) per member per day
///   and over a ranked range; the totals a ranking returns are read back from the integer hashes.
///
/// Aggregate keys expire `aggregateTTLSeconds` (400 days by default) after their last write. Users and orgs with an
/// empty id are aggregated under `all` only, as in `MemoryUsageStore`.
public final class RedisUsageStore: UsageStore {
    private let client: RedisClient
    private let prefix: String
    private let idempotencyWindowSeconds: Int
    private let aggregateTTLSeconds: Int

    public init(
        client: RedisClient, keyPrefix: String = "aigw:usage:", idempotencyWindowSeconds: Int = 8 * 86_400,
        aggregateTTLSeconds: Int = 400 * 86_400
    ) {
        precondition(idempotencyWindowSeconds > 0 && aggregateTTLSeconds > 0)
        self.client = client
        prefix = keyPrefix
        self.idempotencyWindowSeconds = idempotencyWindowSeconds
        self.aggregateTTLSeconds = aggregateTTLSeconds
    }

    public func record(_ record: UsageRecord) async throws -> Bool {
        let day = UTCDate(unixMillis: record.occurredAtMillis)
        let keys = [
            prefix + "req:" + record.requestID, dayKey(day, .all), dayKey(day, .user(record.userID)),
            dayKey(day, .org(record.orgID)), spendKey(day, .user), spendKey(day, .org),
        ]
        let u = record.usage
        let arguments = [
            String(idempotencyWindowSeconds), String(aggregateTTLSeconds), record.model, record.endpoint.rawValue,
            record.userID, record.orgID, "1", String(u.input), String(u.cachedInput), String(u.cacheWrite),
            String(u.output), String(record.costNanos), record.cacheHit ? "1" : "0",
        ]
        let reply = try await RedisError.mapped { try await client.evaluate(Self.recordScript, keys: keys, arguments: arguments) }
        guard let recorded = reply.integer else {
            throw GatewayError(.internalError, "unexpected reply from the usage script: \(reply)", reason: "redis_error")
        }
        return recorded == 1
    }

    /// Records a batch in one script call. Records that add to the same aggregates with the same figures (the same
    /// day, user, org, model, endpoint, usage, cost and cache-hit flag, such as one caller's cache hits) form a group:
    /// the script claims each record's request id as `record(_:)` claims it, then adds the group's figures once,
    /// multiplied by the records it claimed. So N hits of one user cost N claims and one set of HINCRBYs rather than
    /// N sets, and the script stays short enough not to hold Redis up. Atomic as a whole.
    public func record(_ records: [UsageRecord]) async throws -> [Bool] {
        if records.isEmpty { return [] }
        if records.count == 1 { return [try await record(records[0])] }
        var groups: [(record: UsageRecord, members: [Int])] = []
        var groupOf: [GroupKey: Int] = [:]
        for (index, record) in records.enumerated() {
            let key = GroupKey(record)
            if let group = groupOf[key] {
                groups[group].members.append(index)
            } else {
                groupOf[key] = groups.count
                groups.append((record, [index]))
            }
        }
        var arguments = RedisArguments()
        for (record, members) in groups {
            let day = UTCDate(unixMillis: record.occurredAtMillis)
            arguments.append(dayKey(day, .all))
            arguments.append(dayKey(day, .user(record.userID)))
            arguments.append(dayKey(day, .org(record.orgID)))
            arguments.append(spendKey(day, .user))
            arguments.append(spendKey(day, .org))
            for member in members { arguments.append(joining: prefix, "req:", records[member].requestID) }
        }
        let keyCount = arguments.count
        arguments.append(Int64(idempotencyWindowSeconds))
        arguments.append(Int64(aggregateTTLSeconds))
        for (record, members) in groups {
            let u = record.usage
            arguments.append(Int64(members.count))
            arguments.append(record.model)
            arguments.append(record.endpoint.rawValue)
            arguments.append(record.userID)
            arguments.append(record.orgID)
            arguments.append(Int64(1))
            arguments.append(u.input)
            arguments.append(u.cachedInput)
            arguments.append(u.cacheWrite)
            arguments.append(u.output)
            arguments.append(record.costNanos)
            arguments.append(Int64(record.cacheHit ? 1 : 0))
        }
        let all = arguments
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.recordBatchScript, keyCount: keyCount, arguments: all)
        }
        guard let flags = reply.array, flags.count == records.count else {
            throw GatewayError(.internalError, "unexpected reply from the usage batch script: \(reply)",
                               reason: "redis_error")
        }
        // The flags come in group order; each goes back to its record's place.
        var recorded = [Bool](repeating: false, count: records.count)
        var next = 0
        for (_, members) in groups {
            for member in members {
                guard let n = flags[next].integer else {
                    throw GatewayError(.internalError, "unexpected reply from the usage batch script: \(reply)",
                                       reason: "redis_error")
                }
                recorded[member] = n == 1
                next += 1
            }
        }
        return recorded
    }

    /// What makes two records add the same figures to the same aggregates: everything but the request id and the
    /// time within the day.
    private struct GroupKey: Hashable {
        var day: UTCDate
        var userID: String
        var orgID: String
        var model: String
        var endpoint: Endpoint
        var usage: TokenUsage
        var costNanos: Int64
        var cacheHit: Bool

        init(_ r: UsageRecord) {
            day = UTCDate(unixMillis: r.occurredAtMillis)
            userID = r.userID
            orgID = r.orgID
            model = r.model
            endpoint = r.endpoint
            usage = r.usage
            costNanos = r.costNanos
            cacheHit = r.cacheHit
        }
    }

    public func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown] {
        guard from <= to else { return [:] }
        // Concurrent commands share the connections' pipelines: one round trip carries many days.
        return try await RedisError.mapped {
            try await withThrowingTaskGroup(of: (UTCDate, UsageBreakdown?).self) { group in
                for n in 0...(to.daysSinceEpoch - from.daysSinceEpoch) {
                    let day = from.adding(days: n)
                    let key = dayKey(day, scope)
                    group.addTask { [client] in
                        (day, try Self.breakdown(fromHash: try await client.send(["HGETALL", key])))
                    }
                }
                var result: [UTCDate: UsageBreakdown] = [:]
                for try await (day, breakdown) in group { result[day] = breakdown }
                return result
            }
        }
    }

    public func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
        -> [(id: String, totals: UsageTotals)]
    {
        guard limit > 0, from <= to else { return [] }
        let days = (0...(to.daysSinceEpoch - from.daysSinceEpoch)).map { from.adding(days: $0) }
        let scratch = prefix + "tmp:" + Self.randomHex()
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.rankScript, keys: [scratch] + days.map { spendKey($0, level) },
                                      arguments: [String(limit)])
        }
        guard let flat = reply.array, flat.count % 2 == 0 else {
            throw GatewayError(.internalError, "unexpected reply from the ranking script: \(reply)", reason: "redis_error")
        }
        let candidates = stride(from: 0, to: flat.count, by: 2).compactMap { flat[$0].string }

        // Exact totals from the integer hashes; the candidates include everyone tied with the last place, so
        // ranking again by the exact cost and then by id gives the protocol's order.
        let ranked = try await withThrowingTaskGroup(of: (String, UsageTotals).self) { group in
            for id in candidates {
                group.addTask {
                    let scope: UsageScope = level == .user ? .user(id) : .org(id)
                    let days = try await self.days(scope, from: from, to: to)
                    return (id, days.values.reduce(UsageTotals.zero) { $0 + $1.totals })
                }
            }
            var all: [(id: String, totals: UsageTotals)] = []
            for try await (id, totals) in group { all.append((id, totals)) }
            return all
        }
        return ranked.sorted { a, b in
            a.totals.costNanos != b.totals.costNanos ? a.totals.costNanos > b.totals.costNanos : a.id < b.id
        }
        .prefix(limit).map { $0 }
    }

    // MARK: Keys and fields

    private func dayKey(_ day: UTCDate, _ scope: UsageScope) -> String {
        Self.dayKey(prefix: prefix, day, scope)
    }

    /// The day hash for `scope`; `RedisBudgetStore` sums its `cost` field inside its reservation script.
    static func dayKey(prefix: String, _ day: UTCDate, _ scope: UsageScope) -> String {
        switch scope {
        case .all: "\(prefix)day:\(day):all"
        case .user(let id): "\(prefix)day:\(day):user:\(id)"
        case .org(let id): "\(prefix)day:\(day):org:\(id)"
        }
    }

    private func spendKey(_ day: UTCDate, _ level: SpenderLevel) -> String {
        "\(prefix)spend:\(day):\(level.rawValue)"
    }

    /// Parses a day hash (an HGETALL reply); nil when the hash does not exist.
    static func breakdown(fromHash reply: RedisValue) throws -> UsageBreakdown? {
        guard let flat = reply.array else {
            throw GatewayError(.internalError, "unexpected HGETALL reply: \(reply)", reason: "redis_error")
        }
        guard !flat.isEmpty else { return nil }
        var result = UsageBreakdown()
        var i = 0
        while i + 1 < flat.count {
            defer { i += 2 }
            guard let field = flat[i].string, let text = flat[i + 1].string, let value = Int64(text) else { continue }
            if field.hasPrefix("m:") || field.hasPrefix("e:") {
                let rest = field.dropFirst(2)
                guard let colon = rest.firstIndex(of: ":") else { continue }
                let name = rest[..<colon]
                let subject = String(rest[rest.index(after: colon)...])
                if field.hasPrefix("m:") {
                    result.byModel[subject, default: .zero].set(name, value)
                } else if let endpoint = Endpoint(rawValue: subject) {
                    result.byEndpoint[endpoint, default: .zero].set(name, value)
                }
            } else {
                result.totals.set(Substring(field), value)
            }
        }
        return result
    }

    private static func randomHex() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16) + String(UInt64.random(in: .min ... .max), radix: 16)
    }

    // MARK: Scripts

    /// The Lua source of the record script, for tools that run it outside the store.
    public static var recordScriptSource: String { recordScript.source }

    /// KEYS: request id claim, all/user/org day hashes, user/org day spend sets. ARGV: claim TTL s, aggregate TTL s,
    /// model, endpoint, user id, org id, then requests, input, cached_input, cache_write, output, cost, cache_hits.
    /// Returns 1 when recorded, 0 when the request id was already claimed. Counts stay strings so Redis adds them as
    /// 64-bit integers; Lua's doubles never touch them.
    static let recordScript = RedisScript(#"""
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
        local ttl, model, endpoint, user, org = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local names = {'requests', 'input', 'cached_input', 'cache_write', 'output', 'cost', 'cache_hits'}
        local function add(key)
          for i, name in ipairs(names) do
            local v = ARGV[6 + i]
            if v ~= '0' or i == 1 then
              redis.call('HINCRBY', key, name, v)
              redis.call('HINCRBY', key, 'm:' .. name .. ':' .. model, v)
              redis.call('HINCRBY', key, 'e:' .. name .. ':' .. endpoint, v)
            end
          end
          redis.call('EXPIRE', key, ttl)
        end
        local cost = ARGV[12]
        add(KEYS[2])
        if user ~= '' then
          add(KEYS[3])
          redis.call('ZINCRBY', KEYS[5], cost, user)
          redis.call('EXPIRE', KEYS[5], ttl)
        end
        if org ~= '' then
          add(KEYS[4])
          redis.call('ZINCRBY', KEYS[6], cost, org)
          redis.call('EXPIRE', KEYS[6], ttl)
        end
        return 1
        """#)

    /// `recordScript` for a batch, by groups of records with the same figures and aggregates. KEYS: per group its
    /// all/user/org day hashes and user/org day spend sets, then the claims of its records. ARGV: claim TTL s,
    /// aggregate TTL s, then per group (12 each) its record count, model, endpoint, user id, org id, requests, input,
    /// cached_input, cache_write, output, cost, cache_hits. Returns 1 or 0 per record, in group order, as
    /// `recordScript` would.
    ///
    /// A group's figures are added once, multiplied by how many of its records were claimed. The product is only
    /// formed in Lua (whose numbers are doubles) while it is below 2^52 and so exact; past that each record's figure
    /// is added on its own as its decimal string, which Redis adds as a 64-bit integer, exactly like the single
    /// script. Fields are created under the same rule as there (requests always, other figures when not "0"), so
    /// the result is the same as recording one by one.
    static let recordBatchScript = RedisScript(#"""
        local claimTTL, ttl = ARGV[1], ARGV[2]
        local names = {'requests', 'input', 'cached_input', 'cache_write', 'output', 'cost', 'cache_hits'}
        local exact = 4503599627370496
        local function times(v, count)
          local n = tonumber(v)
          if count == 1 then return v, 1 end
          if n and math.abs(n) * count < exact then
            local product = n * count
            return product == 0 and '0' or string.format('%.0f', product), 1
          end
          return v, count
        end
        local function hincr(key, field, v, count)
          local value, repeats = times(v, count)
          for _ = 1, repeats do redis.call('HINCRBY', key, field, value) end
        end
        local function addAll(key, a, model, endpoint, count)
          for i, name in ipairs(names) do
            local v = ARGV[a + 5 + i]
            if v ~= '0' or i == 1 then
              hincr(key, name, v, count)
              hincr(key, 'm:' .. name .. ':' .. model, v, count)
              hincr(key, 'e:' .. name .. ':' .. endpoint, v, count)
            end
          end
          redis.call('EXPIRE', key, ttl)
        end
        local function spend(key, member, cost, count)
          local value, repeats = times(cost, count)
          for _ = 1, repeats do redis.call('ZINCRBY', key, value, member) end
          redis.call('EXPIRE', key, ttl)
        end
        local out = {}
        local k, a = 0, 2
        while a < #ARGV do
          local n = tonumber(ARGV[a + 1])
          local claimed = 0
          for i = 1, n do
            if redis.call('SET', KEYS[k + 5 + i], '1', 'NX', 'EX', claimTTL) then
              claimed = claimed + 1
              out[#out + 1] = 1
            else
              out[#out + 1] = 0
            end
          end
          if claimed > 0 then
            local model, endpoint, user, org = ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
            local cost = ARGV[a + 11]
            addAll(KEYS[k + 1], a, model, endpoint, claimed)
            if user ~= '' then
              addAll(KEYS[k + 2], a, model, endpoint, claimed)
              spend(KEYS[k + 4], user, cost, claimed)
            end
            if org ~= '' then
              addAll(KEYS[k + 3], a, model, endpoint, claimed)
              spend(KEYS[k + 5], org, cost, claimed)
            end
          end
          k = k + 5 + n
          a = a + 12
        end
        return out
        """#)

    /// KEYS: a scratch key, then each day's spend set. ARGV: limit. Sums the days into the scratch key, deletes it,
    /// and returns id, score pairs for the top `limit` and everyone tied with the last of them. Computing the ranking
    /// in the script keeps the scratch key's whole life inside one atomic call, so it needs no TTL.
    static let rankScript = RedisScript(#"""
        -- In chunks of 1000 days, folding each into the scratch key: unpack has a stack limit of about 8000.
        local size, i = 0, 2
        while i <= #KEYS do
          local args = {'ZUNIONSTORE', KEYS[1], 0}
          if i > 2 then args[4] = KEYS[1] end
          local last = math.min(#KEYS, i + 999)
          for j = i, last do args[#args + 1] = KEYS[j] end
          args[3] = #args - 3
          size = redis.call(unpack(args))
          i = last + 1
        end
        if size == 0 then return {} end
        local limit = tonumber(ARGV[1])
        local last = redis.call('ZREVRANGE', KEYS[1], limit - 1, limit - 1, 'WITHSCORES')
        local out
        if #last == 0 then
          out = redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')
        else
          out = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', last[2], 'WITHSCORES')
        end
        redis.call('DEL', KEYS[1])
        return out
        """#)
}

extension UsageTotals {
    /// Sets the figure a hash field names; unknown names are ignored so newer fields never break older readers.
    fileprivate mutating func set(_ name: Substring, _ value: Int64) {
        let count = UInt64(max(0, value))
        switch name {
        case "requests": requests = count
        case "input": usage.input = count
        case "cached_input": usage.cachedInput = count
        case "cache_write": usage.cacheWrite = count
        case "output": usage.output = count
        case "cost": costNanos = value
        case "cache_hits": cacheHits = count
        default: break
        }
    }
}
