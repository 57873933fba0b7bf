import GatewayCore

/// Limit counters in Redis, shared by every aigw instance: one Lua script checks all of a request's limits atomically,
/// with time from Redis `TIME`, so instances with skewed clocks still enforce one limit.
///
/// The script does `LimitCounter`'s arithmetic (the in-memory store's), and the shared behaviour suite runs against
/// both. Token buckets are hashes (`t`: balance in thousandths, `u`: last update in ms); sliding windows are sorted
/// sets of `time:sequence:units` members scored by time, with a `:seq` counter beside them. Every key expires once it
/// has nothing to remember, so idle counters cost no memory.
public final class RedisRateLimitStore: CallbackRateLimitStore {
    private let client: RedisClient
    private let prefix: String

    public init(client: RedisClient, keyPrefix: String = "aigw:rl:") {
        self.client = client
        prefix = keyPrefix
    }

    public func check(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) async throws -> [LimitStatus] {
        guard !limits.isEmpty else { return [] }
        return try await withUnsafeThrowingContinuation { continuation in
            check(limits, cost: cost, peek: peek) { continuation.resume(with: $0) }
        }
    }

    /// The check by callback: on the server's event loop the script goes out on that loop's Redis connection and
    /// `completion` runs straight from the read of its reply.
    public func check(
        _ limits: [AppliedLimit], cost: UInt64, peek: Bool,
        completion: @escaping @Sendable (Result<[LimitStatus], any Error>) -> Void
    ) {
        guard !limits.isEmpty else {
            completion(.success([]))
            return
        }
        // KEYS, then ARGV: cost, peek, and five per limit (see `script`).
        var arguments = RedisArguments()
        for limit in limits {
            arguments.append(joining: prefix, limit.key.endpoint.rawValue, ":", limit.key.level.rawValue, ":",
                             limit.key.subject)
        }
        arguments.append(cost)
        arguments.append(peek ? "1" : "0")
        for limit in limits {
            let rule = limit.rule
            arguments.append(rule.algorithm == .tokenBucket ? "1" : "2")
            arguments.append(rule.limit)
            arguments.append(rule.windowMillis)
            arguments.append(rule.burst)
            arguments.append(rule.shadow ? "1" : "0")
        }
        client.evaluate(Self.script, keyCount: limits.count, arguments: arguments) { result in
            switch result {
            case .success(let reply): completion(Self.statuses(limits, reply))
            case .failure(let error): completion(.failure(error.gatewayError))
            }
        }
    }

    /// Per limit, five integers: allowed, limit, remaining, reset-at ms, retry-after ms.
    private static func statuses(_ limits: [AppliedLimit], _ reply: RedisValue) -> Result<[LimitStatus], any Error> {
        guard let values = reply.array, values.count == limits.count * 5 else {
            return .failure(unexpected(reply))
        }
        var statuses: [LimitStatus] = []
        statuses.reserveCapacity(limits.count)
        for (i, limit) in limits.enumerated() {
            guard let allowed = values[i * 5].integer, let count = values[i * 5 + 1].integer,
                  let remaining = values[i * 5 + 2].integer, let resetAt = values[i * 5 + 3].integer,
                  let retryAfter = values[i * 5 + 4].integer
            else { return .failure(unexpected(reply)) }
            let evaluation = LimitCounter.Evaluation(
                allowed: allowed == 1, limit: UInt64(max(0, count)), remaining: UInt64(max(0, remaining)),
                resetAt: resetAt, retryAfterMillis: retryAfter)
            statuses.append(LimitStatus(key: limit.key, rule: limit.rule, evaluation: evaluation))
        }
        return .success(statuses)
    }

    private static func unexpected(_ reply: RedisValue) -> GatewayError {
        GatewayError(.internalError, "unexpected reply from the limit script: \(reply)", reason: "redis_error")
    }

    public func reset(endpoint: Endpoint, userID: String, orgID: String) async throws -> Int {
        do {
            var keys: [String] = []
            if userID.isEmpty && orgID.isEmpty {
                var cursor = "0"
                repeat {
                    let page = try await client.send(["SCAN", cursor, "MATCH", "\(prefix)\(endpoint.rawValue):*", "COUNT", "1000"])
                    guard let parts = page.array, parts.count == 2, let next = parts[0].string, let found = parts[1].array
                    else { throw RedisError(.server, "unexpected SCAN reply") }
                    keys += found.compactMap(\.string).filter { !$0.hasSuffix(":seq") }
                    cursor = next
                } while cursor != "0"
            } else {
                if !userID.isEmpty { keys.append(prefix + LimitKey(endpoint: endpoint, level: .user, subject: userID).description) }
                if !orgID.isEmpty { keys.append(prefix + LimitKey(endpoint: endpoint, level: .org, subject: orgID).description) }
            }
            guard !keys.isEmpty else { return 0 }
            let removed = try await client.send(["DEL"] + keys).integer ?? 0
            try await client.send(["DEL"] + keys.map { $0 + ":seq" })
            return Int(removed)
        } catch let error as RedisError {
            throw error.gatewayError
        }
    }

    /// The Lua source, for tools that run it outside the store (the benchmark's redis-benchmark baseline).
    public static var scriptSource: String { script.source }

    /// KEYS: one counter per limit. ARGV: cost, peek, then per limit: algorithm (1 bucket, 2 window), limit,
    /// window ms, burst, shadow. Returns per limit: allowed, limit, remaining, reset-at ms, retry-after ms.
    static let script = RedisScript(#"""
        local S = 1000
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local cost = tonumber(ARGV[1])
        local peek = ARGV[2] == '1'
        local n = #KEYS
        local out, writes, denied = {}, {}, false

        local function ceildiv(a, b) return math.floor((a + b - 1) / b) end
        -- Milliseconds until `scaled` thousandths refill at `limit` units per `window` ms.
        local function refill_ms(scaled, limit, window)
          if scaled <= 0 then return 0 end
          return ceildiv(scaled * window, limit * S)
        end

        for i = 1, n do
          local base = 2 + (i - 1) * 5
          local algo, limit, window = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
          local burst, shadow = tonumber(ARGV[base + 4]), ARGV[base + 5] == '1'
          local key = KEYS[i]
          local allowed, lim, remaining, reset_at, retry
          if algo == 1 then
            local cap = burst * S
            local state = redis.call('HMGET', key, 't', 'u')
            local tokens, updated = tonumber(state[1]), tonumber(state[2])
            if tokens == nil then tokens, updated = cap, now end
            local elapsed = math.max(0, now - updated)
            local refill
            if elapsed >= math.floor(window * burst / limit) + 1 then
              refill = cap
            else
              local q = math.floor(elapsed / window)
              refill = q * limit * S + math.floor((elapsed - q * window) * limit * S / window)
            end
            local current = math.min(cap, tokens + math.min(refill, cap))
            local need = cost * S
            allowed = need <= current
            local after = current
            if allowed then after = current - need end
            lim, remaining = burst, math.floor(after / S)
            if peek then remaining = math.floor(current / S) end
            retry = 0
            if not allowed then retry = refill_ms(need - current, limit, window) end
            reset_at = now + refill_ms(cap - after, limit, window)
            if allowed then
              writes[#writes + 1] = {1, key, after, refill_ms(cap - after, limit, window) + 1000}
            end
          else
            redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
            local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
            local used, live = 0, {}
            for j = 1, #entries, 2 do
              local units = tonumber(string.match(entries[j], ':(%d+)$'))
              used = used + units
              live[#live + 1] = {tonumber(entries[j + 1]), units}
            end
            allowed = used + cost <= limit
            local used_after = used
            if allowed then used_after = used + cost end
            lim = limit
            remaining = limit - math.min(limit, used_after)
            if peek then remaining = limit - math.min(limit, used) end
            retry = 0
            if not allowed then
              retry = window
              if cost <= limit then
                local u = used
                for j = 1, #live do
                  u = u - live[j][2]
                  if u + cost <= limit then retry = live[j][1] + window - now break end
                end
              end
            end
            local oldest = live[1] and live[1][1] or nil
            if allowed and cost > 0 and oldest == nil then oldest = now end
            reset_at = oldest and (oldest + window) or now
            if allowed and cost > 0 then writes[#writes + 1] = {2, key, window} end
          end
          if not allowed and not shadow then denied = true end
          out[#out + 1] = allowed and 1 or 0
          out[#out + 1] = lim
          out[#out + 1] = remaining
          out[#out + 1] = reset_at
          out[#out + 1] = retry
        end

        if not peek and not denied then
          for _, w in ipairs(writes) do
            if w[1] == 1 then
              redis.call('HSET', w[2], 't', w[3], 'u', now)
              redis.call('PEXPIRE', w[2], w[4])
            else
              local seq = redis.call('INCR', w[2] .. ':seq')
              redis.call('ZADD', w[2], now, now .. ':' .. seq .. ':' .. cost)
              redis.call('PEXPIRE', w[2], w[3])
              redis.call('PEXPIRE', w[2] .. ':seq', w[3])
            end
          end
        end
        return out
        """#)
}
