import Foundation
import GatewayCore

/// The run-time configuration overlay in Redis, shared by every instance: a hash of key → value
/// (`aigw:config:values`) and a revision counter (`aigw:config:revision`) that one Lua script checks and increments
/// together with the change, so two concurrent updates never interleave and a poller that sees a new revision always
/// reads the change that made it. The same script records each change, with every key's previous value, as JSON in a
/// capped list (`aigw:config:history`, newest first), so the history and the values never disagree.
public final class RedisConfigStore: ConfigStore {
    private let client: RedisClient
    private let valuesKey: String
    private let revisionKey: String
    private let historyKey: String

    public init(client: RedisClient, keyPrefix: String = "aigw:config:") {
        self.client = client
        valuesKey = keyPrefix + "values"
        revisionKey = keyPrefix + "revision"
        historyKey = keyPrefix + "history"
    }

    public func load() async throws -> ConfigOverlay {
        try overlay(try await RedisError.mapped { try await client.evaluate(Self.loadScript, keys: [revisionKey, valuesKey], arguments: []) })
    }

    public func revision() async throws -> UInt64 {
        let reply = try await RedisError.mapped { try await client.send(["GET", revisionKey]) }
        if reply == .null { return 0 }
        guard let text = reply.string, let revision = UInt64(text) else { throw reply.unexpected("the configuration") }
        return revision
    }

    public func update(_ changes: [String: String?], expectedRevision: UInt64?, author: ConfigChange.Author)
        async throws -> ConfigOverlay?
    {
        var arguments = [
            expectedRevision.map(String.init) ?? "", author.changedBy, String(author.changedAtMillis),
            author.rollbackOf.map(String.init) ?? "", String(ConfigChange.historyLimit),
        ]
        for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
            arguments += value.map { ["set", key, $0] } ?? ["del", key, ""]
        }
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.updateScript, keys: [revisionKey, valuesKey, historyKey],
                                      arguments: arguments)
        }
        if reply.array?.first?.integer == -1 { return nil }
        return try overlay(reply)
    }

    public func history(limit: Int) async throws -> [ConfigChange] {
        guard limit > 0 else { return [] }
        let reply = try await RedisError.mapped {
            try await client.send(["LRANGE", historyKey, "0", String(min(limit, ConfigChange.historyLimit) - 1)])
        }
        guard let items = reply.array else { throw reply.unexpected("the configuration history") }
        return try items.map { item in
            guard let text = item.string,
                let change = try? JSONDecoder().decode(ConfigChange.self, from: Data(text.utf8))
            else { throw reply.unexpected("the configuration history") }
            return change
        }
    }

    /// `{revision, {key, value, ...}}`.
    private func overlay(_ reply: RedisValue) throws -> ConfigOverlay {
        guard let parts = reply.array, parts.count == 2, let revision = parts[0].integer, let flat = parts[1].array,
            flat.count % 2 == 0
        else { throw reply.unexpected("the configuration") }
        var values: [String: String] = [:]
        for i in stride(from: 0, to: flat.count, by: 2) {
            guard let key = flat[i].string, let value = flat[i + 1].string else { throw reply.unexpected("the configuration") }
            values[key] = value
        }
        return ConfigOverlay(revision: UInt64(max(revision, 0)), values: values)
    }


    /// KEYS: revision, values. Returns {revision, HGETALL values}.
    static let loadScript = RedisScript(#"""
        return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('HGETALL', KEYS[2])}
        """#)

    /// KEYS: revision, values, history. ARGV: expected revision (empty: any), changed by, changed at (ms), rollback
    /// of (empty: none), history length, then triples of `set`|`del`, key, value. Returns {-1} on a revision
    /// mismatch, else {new revision, HGETALL values}.
    static let updateScript = RedisScript(#"""
        local revision = tonumber(redis.call('GET', KEYS[1]) or '0')
        if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= revision then return {-1} end
        local entries = {}
        for i = 6, #ARGV, 3 do
          local key = ARGV[i + 1]
          local entry = {key = key, old = redis.call('HGET', KEYS[2], key) or nil}
          if ARGV[i] == 'set' then
            redis.call('HSET', KEYS[2], key, ARGV[i + 2])
            entry.new = ARGV[i + 2]
          else
            redis.call('HDEL', KEYS[2], key)
          end
          entries[#entries + 1] = entry
        end
        local new = redis.call('INCR', KEYS[1])
        local change = {revision = new, changedBy = ARGV[2], changedAtMillis = tonumber(ARGV[3]), entries = entries}
        if ARGV[4] ~= '' then change.rollbackOf = tonumber(ARGV[4]) end
        redis.call('LPUSH', KEYS[3], cjson.encode(change))
        redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
        return {new, redis.call('HGETALL', KEYS[2])}
        """#)
}
