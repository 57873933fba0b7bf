import GatewayCore

/// The response cache in Redis, shared by every aigw instance.
///
/// Layout, under the key prefix (`aigw:cache:` by default):
/// - `<endpoint>:<org>:<hex digest>`: one answer in `CachedAnswer`'s stored form, always written with `SET ... PX`,
///   so every entry expires. `<org>` is the org id with `%`, `:`, `*`, `?`, `[`, `]` and `\` percent-encoded (empty
///   for the global scope), so flushing by endpoint or org is a `SCAN MATCH` whose pattern no id can widen.
/// - `<prefix without its last ':'>-stats` (`aigw:cache-stats`): a hash of shared counters, `hits:<endpoint>`,
///   `misses:<endpoint>` and `stores:<endpoint>`, incremented by the same script that reads or writes the entries,
///   so counting costs no extra round trip.
///
/// A batch get or set is one script call (one round trip, however many keys). Flush and statistics SCAN in batches
/// of `scanCount` keys, at most `maxScanKeys` keys per call: the work one admin call can cause is bounded.
/// Evictions are Redis's own (`maxmemory-policy`), counted only in its INFO `evicted_keys`, so they are reported as 0
/// per endpoint.
public final class RedisResponseCacheStore: ResponseCacheStore {
    private let client: RedisClient
    private let prefix: String
    private let statsKey: String
    public let scanCount: Int
    public let maxScanKeys: Int
    public var backend: String { "redis" }

    public init(client: RedisClient, keyPrefix: String = "aigw:cache:", scanCount: Int = 1_000,
                maxScanKeys: Int = 1_000_000)
    {
        precondition(keyPrefix.hasSuffix(":") && scanCount > 0 && maxScanKeys > 0)
        self.client = client
        prefix = keyPrefix
        statsKey = String(keyPrefix.dropLast()) + "-stats"
        self.scanCount = scanCount
        self.maxScanKeys = maxScanKeys
    }

    /// KEYS: the stats hash, then the entries. ARGV: each entry's endpoint. Returns the values, false for misses.
    private static let getScript = RedisScript("""
        local out = {}
        for i = 2, #KEYS do
          local v = redis.call('GET', KEYS[i])
          if v then
            redis.call('HINCRBY', KEYS[1], 'hits:' .. ARGV[i - 1], 1)
            out[i - 1] = v
          else
            redis.call('HINCRBY', KEYS[1], 'misses:' .. ARGV[i - 1], 1)
            out[i - 1] = false
          end
        end
        return out
        """)

    /// KEYS: the stats hash, then the entries. ARGV: per entry its TTL in ms, endpoint and value.
    private static let setScript = RedisScript("""
        for i = 2, #KEYS do
          local j = (i - 2) * 3
          redis.call('SET', KEYS[i], ARGV[j + 3], 'PX', ARGV[j + 1])
          redis.call('HINCRBY', KEYS[1], 'stores:' .. ARGV[j + 2], 1)
        end
        return #KEYS - 1
        """)

    public func get(_ keys: [CacheKey]) async throws -> [CachedAnswer?] {
        guard !keys.isEmpty else { return [] }
        var arguments = RedisArguments()
        arguments.append(statsKey)
        for key in keys { arguments.append(redisKey(key)) }
        for key in keys { arguments.append(key.endpoint.rawValue) }
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.getScript, keyCount: keys.count + 1, arguments: arguments)
        }
        guard let values = reply.array, values.count == keys.count else { throw reply.unexpected("a cache get") }
        // An entry in another format (an older aigw) or damaged is a miss.
        return values.map { value in
            if case .bulk(let bytes) = value { CachedAnswer(encoded: bytes) } else { nil }
        }
    }

    public func set(_ entries: [CacheEntry]) async throws {
        guard !entries.isEmpty else { return }
        var arguments = RedisArguments()
        arguments.append(statsKey)
        for entry in entries { arguments.append(redisKey(entry.key)) }
        for entry in entries {
            arguments.append(entry.ttlMillis)
            arguments.append(entry.key.endpoint.rawValue)
            arguments.append(bytes: entry.answer.encoded())
        }
        _ = try await RedisError.mapped {
            try await client.evaluate(Self.setScript, keyCount: entries.count + 1, arguments: arguments)
        }
    }

    public func flush(endpoint: Endpoint?, orgID: String?) async throws -> UInt64 {
        var removed: UInt64 = 0
        try await scan(endpoint: endpoint, orgID: orgID) { keys in
            let reply = try await client.send(["UNLINK"] + keys)
            removed += UInt64(max(0, reply.integer ?? 0))
        }
        return removed
    }

    public func statistics() async throws -> [Endpoint: CacheStatistics] {
        var stats: [Endpoint: CacheStatistics] = [:]
        let counters = try await RedisError.mapped { try await client.send(["HGETALL", statsKey]) }
        guard let flat = counters.array else { throw counters.unexpected("the cache statistics") }
        var i = 0
        while i + 1 < flat.count {
            defer { i += 2 }
            guard let field = flat[i].string, let value = flat[i + 1].string.flatMap({ UInt64($0) }),
                  let colon = field.firstIndex(of: ":"),
                  let endpoint = Endpoint(rawValue: String(field[field.index(after: colon)...]))
            else { continue }
            switch field[..<colon] {
            case "hits": stats[endpoint, default: .zero].hits = value
            case "misses": stats[endpoint, default: .zero].misses = value
            case "stores": stats[endpoint, default: .zero].stores = value
            default: break
            }
        }
        // What is held now: entries and their bytes (STRLEN, pipelined per batch).
        try await scan(endpoint: nil, orgID: nil) { keys in
            let sizes = try await withThrowingTaskGroup(of: (String, Int64).self) { group in
                for key in keys {
                    group.addTask { [client] in (key, try await client.send(["STRLEN", key]).integer ?? 0) }
                }
                var all: [(String, Int64)] = []
                for try await size in group { all.append(size) }
                return all
            }
            for (key, size) in sizes {
                let rest = key.dropFirst(prefix.count)
                guard let colon = rest.firstIndex(of: ":"), let endpoint = Endpoint(rawValue: String(rest[..<colon]))
                else { continue }
                stats[endpoint, default: .zero].entries += 1
                stats[endpoint, default: .zero].bytes += UInt64(max(0, size))
            }
        }
        return stats
    }

    /// Runs `body` on each batch of keys that `SCAN MATCH` finds for `endpoint` and `orgID` (nil: any), up to
    /// `maxScanKeys` keys.
    private func scan(endpoint: Endpoint?, orgID: String?, _ body: ([String]) async throws -> Void) async throws {
        let pattern = prefix + (endpoint.map { $0.rawValue } ?? "*") + ":" + (orgID.map(Self.escape) ?? "*") + ":*"
        var cursor = "0"
        var seen = 0
        try await RedisError.mapped {
            repeat {
                let reply = try await client.send(["SCAN", cursor, "MATCH", pattern, "COUNT", String(scanCount)])
                guard let parts = reply.array, parts.count == 2, let next = parts[0].string,
                      let found = parts[1].array
                else { throw reply.unexpected("SCAN") }
                let keys = found.compactMap(\.string)
                if !keys.isEmpty { try await body(keys) }
                seen += keys.count
                cursor = next
            } while cursor != "0" && seen < maxScanKeys
        }
    }

    private func redisKey(_ key: CacheKey) -> String {
        prefix + key.endpoint.rawValue + ":" + Self.escape(key.orgID) + ":" + key.hex
    }

    /// Percent-encodes what would make an org id ambiguous in a key or active in a SCAN pattern.
    static func escape(_ id: String) -> String {
        guard id.contains(where: { "%:*?[]\\".contains($0) }) else { return id }
        var out = ""
        for c in id.unicodeScalars {
            switch c {
            case "%", ":", "*", "?", "[", "]", "\\":
                let hex = String(c.value, radix: 16, uppercase: true)
                out += "%" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
