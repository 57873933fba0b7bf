import Foundation
import GatewayCore

/// Budgets, their reservations and fired thresholds in Redis, so every instance enforces one budget and each
/// threshold fires once.
///
/// Spending is read from `RedisUsageStore`'s day hashes (their `cost` field) inside the same Lua script that checks
/// and adds a reservation, so a check and the reservation it grants are one atomic step across instances. The
/// script sums in Lua numbers (doubles), exact up to 2^53 nano-dollars (about $9 million) per budget period.
///
/// Layout, under the key prefix (`aigw:budget:` by default):
/// - `defs`: a hash of budget id → the budget as JSON.
/// - `resv:<budget id>:<window key>`: a hash of reservation id → `<nano-dollars>:<expiry ms>`. Expiry comes from
///   Redis `TIME`, and expired entries are dropped by the next check, so a call that died with its process holds
///   nothing once its lease ends. The hash itself expires a lease after its last write.
/// - `fired:<budget id>:<window key>:<percent>`: `SET NX` claims, expiring a day after their period ends.
public final class RedisBudgetStore: BudgetStore {
    private let client: RedisClient
    private let prefix: String
    private let usagePrefix: String
    private let clock: any GatewayClock

    public init(
        client: RedisClient, clock: any GatewayClock, keyPrefix: String = "aigw:budget:",
        usageKeyPrefix: String = "aigw:usage:"
    ) {
        self.client = client
        self.clock = clock
        prefix = keyPrefix
        usagePrefix = usageKeyPrefix
    }

    public func budgets() async throws -> [Budget] {
        let reply = try await RedisError.mapped { try await client.send(["HGETALL", prefix + "defs"]) }
        guard let flat = reply.array else { throw reply.unexpected("budgets") }
        var budgets: [Budget] = []
        var i = 1
        while i < flat.count {
            defer { i += 2 }
            guard case .bulk(let bytes) = flat[i], let budget = try? JSONDecoder().decode(Budget.self, from: Data(bytes))
            else { continue }
            budgets.append(budget)
        }
        return budgets
    }

    public func save(_ budget: Budget, _ mode: BudgetSaveMode) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(budget), as: UTF8.self)
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.saveScript, keys: [prefix + "defs"],
                                      arguments: [budget.id, json, mode == .create ? "create" : "replace"])
        }
        guard let saved = reply.integer else { throw reply.unexpected("budgets") }
        return saved == 1
    }

    public func delete(id: String) async throws -> Bool {
        let reply = try await RedisError.mapped { try await client.send(["HDEL", prefix + "defs", id]) }
        guard let deleted = reply.integer else { throw reply.unexpected("budgets") }
        // Reservations expire with their lease; fired claims with their period.
        return deleted == 1
    }

    public func spending(of budget: Budget, in window: PeriodWindow) async throws -> BudgetSpending {
        try await check(budget, window, reservation: nil).spending
    }

    public func reserve(_ reservation: BudgetReservation, against budget: Budget) async throws
        -> (allowed: Bool, spending: BudgetSpending)
    {
        try await check(budget, reservation.window, reservation: reservation)
    }

    public func release(_ reservation: BudgetReservation) async throws {
        _ = try await RedisError.mapped {
            try await client.send(["HDEL", reservationsKey(reservation.budgetID, reservation.window), reservation.id])
        }
    }

    public func claimThreshold(budgetID: String, window: PeriodWindow, percent: UInt32) async throws -> Bool {
        let ttlMillis = max(window.endUnixMillis - clock.unixMillis(), 0) + 86_400_000
        let reply = try await RedisError.mapped {
            try await client.send([
                "SET", "\(prefix)fired:\(budgetID):\(window.key):\(percent)", "1", "NX", "PX", String(ttlMillis),
            ])
        }
        return reply.string == "OK"
    }

    // MARK: Internals

    private func check(_ budget: Budget, _ window: PeriodWindow, reservation: BudgetReservation?) async throws
        -> (allowed: Bool, spending: BudgetSpending)
    {
        let today = UTCDate(unixMillis: clock.unixMillis())
        let dayKeys = window.days(through: today).map {
            RedisUsageStore.dayKey(prefix: usagePrefix, $0, budget.subject.scope)
        }
        let arguments = [
            reservation?.id ?? "", String(reservation?.amountNanos ?? 0), String(budget.limitNanos),
            String(reservation?.leaseMillis ?? 0),
        ]
        let reply = try await RedisError.mapped {
            try await client.evaluate(Self.checkScript, keys: [reservationsKey(budget.id, window)] + dayKeys,
                                      arguments: arguments)
        }
        guard let values = reply.array, values.count == 3, let allowed = values[0].integer,
            let spent = values[1].integer, let reserved = values[2].integer
        else { throw reply.unexpected("budgets") }
        return (allowed == 1, BudgetSpending(spentNanos: spent, reservedNanos: reserved))
    }

    private func reservationsKey(_ budgetID: String, _ window: PeriodWindow) -> String {
        "\(prefix)resv:\(budgetID):\(window.key)"
    }


    // MARK: Scripts

    /// KEYS: the budget hash. ARGV: id, JSON, `create` or `replace`. 1 when saved.
    static let saveScript = RedisScript(#"""
        local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
        if (ARGV[3] == 'create') == exists then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """#)

    /// KEYS: the reservations hash, then the subject's day hashes of the window so far. ARGV: reservation id (empty
    /// to only read), amount, limit, lease ms. Returns {allowed, spent, reserved}, reserved including the new
    /// reservation when one was granted.
    static let checkScript = RedisScript(#"""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local spent = 0
        for i = 2, #KEYS do
          local v = redis.call('HGET', KEYS[i], 'cost')
          if v then spent = spent + tonumber(v) end
        end
        local reserved = 0
        local held = redis.call('HGETALL', KEYS[1])
        for i = 1, #held, 2 do
          local amount, expires = string.match(held[i + 1], '^(%d+):(%d+)$')
          if amount and tonumber(expires) > now then
            reserved = reserved + tonumber(amount)
          else
            redis.call('HDEL', KEYS[1], held[i])
          end
        end
        if ARGV[1] == '' then return {0, spent, reserved} end
        local amount, limit, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        if spent + reserved + amount > limit then return {0, spent, reserved} end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + lease))
        redis.call('PEXPIRE', KEYS[1], lease)
        return {1, spent, reserved + amount}
        """#)
}
