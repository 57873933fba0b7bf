/// The state of one limit's counter and the arithmetic of both algorithms, as pure functions of the state, the rule
/// and the time. The in-memory store runs these directly; the Redis store runs the same arithmetic in Lua.
public enum LimitCounter: Sendable, Hashable {
    /// Fixed-point scale of token bucket balances: a thousandth of a unit, so refills stay exact in integers here
    /// and in the Redis script's double-precision arithmetic (exact below 2^53) for any realistic limit.
    public static let scale: UInt64 = 1_000

    /// Tokens (scaled) as of `updatedAt`.
    case bucket(tokens: UInt64, updatedAt: Int64)
    /// The units counted at each time within the current window, oldest first.
    case window(entries: [WindowEntry])

    public struct WindowEntry: Sendable, Hashable {
        public var at: Int64
        public var units: UInt64
    }

    /// A counter that has seen nothing.
    public static func fresh(_ rule: RateLimitRule, now: Int64) -> LimitCounter {
        switch rule.algorithm {
        case .tokenBucket: .bucket(tokens: rule.burst * scale, updatedAt: now)
        case .slidingWindow: .window(entries: [])
        }
    }

    /// What a check of `cost` units would find now, and the counter after consuming them if allowed.
    public func evaluate(_ rule: RateLimitRule, cost: UInt64, now: Int64) -> (status: Evaluation, consumed: LimitCounter) {
        switch self {
        case .bucket(let tokens, let updatedAt):
            let capacity = rule.burst * Self.scale
            let elapsed = UInt64(max(0, now - updatedAt))
            // Refill `limit` units per window: limit * scale / window scaled tokens per millisecond.
            let perWindow = rule.limit * Self.scale
            let window = UInt64(rule.windowMillis)
            // Past the time a bucket takes to fill from empty it is simply full; before that the exact refill fits.
            let refill = elapsed >= window * rule.burst / rule.limit + 1
                ? capacity : window.dividingFullWidth(elapsed.multipliedFullWidth(by: perWindow)).quotient
            let current = min(capacity, tokens + min(refill, capacity))
            let need = cost * Self.scale
            let allowed = need <= current
            let after = allowed ? current - need : current
            let missing = allowed ? 0 : need - current
            let retryAfter = allowed ? 0 : Self.millis(toRefill: missing, perWindow: perWindow, window: window)
            let untilFull = Self.millis(toRefill: capacity - after, perWindow: perWindow, window: window)
            let evaluation = Evaluation(
                allowed: allowed, limit: rule.burst, remaining: after / Self.scale,
                resetAt: now + untilFull, retryAfterMillis: retryAfter)
            return (evaluation, .bucket(tokens: after, updatedAt: now))
        case .window(let entries):
            let live = entries.filter { $0.at > now - rule.windowMillis }
            let used = live.reduce(0) { $0 + $1.units }
            let allowed = used + cost <= rule.limit
            var kept = live
            if allowed && cost > 0 { kept.append(WindowEntry(at: now, units: cost)) }
            let usedAfter = allowed ? used + cost : used
            let retryAfter = allowed ? 0 : Self.millisUntilFree(cost, in: live, rule: rule, now: now)
            let resetAt = (kept.first?.at).map { $0 + rule.windowMillis } ?? now
            let evaluation = Evaluation(
                allowed: allowed, limit: rule.limit, remaining: rule.limit - min(rule.limit, usedAfter),
                resetAt: resetAt, retryAfterMillis: retryAfter)
            return (evaluation, .window(entries: kept))
        }
    }

    /// When this counter has nothing to remember: a full bucket or an empty window. Idle counters are dropped.
    public func isIdle(_ rule: RateLimitRule, now: Int64) -> Bool {
        switch self {
        case .bucket:
            return evaluate(rule, cost: 0, now: now).status.remaining >= rule.burst
        case .window(let entries):
            return entries.allSatisfy { $0.at <= now - rule.windowMillis }
        }
    }

    /// The outcome of evaluating one limit.
    public struct Evaluation: Sendable, Hashable {
        public var allowed: Bool
        public var limit: UInt64
        public var remaining: UInt64
        /// When the counter is back to its full allowance (Unix ms).
        public var resetAt: Int64
        /// How long until `cost` units would be allowed; 0 when allowed now.
        public var retryAfterMillis: Int64

        public init(allowed: Bool, limit: UInt64, remaining: UInt64, resetAt: Int64, retryAfterMillis: Int64) {
            self.allowed = allowed
            self.limit = limit
            self.remaining = remaining
            self.resetAt = resetAt
            self.retryAfterMillis = retryAfterMillis
        }
    }

    private static func millis(toRefill scaledTokens: UInt64, perWindow: UInt64, window: UInt64) -> Int64 {
        guard scaledTokens > 0 else { return 0 }
        // Round up: the caller must not come back a millisecond too early.
        let product = scaledTokens.multipliedFullWidth(by: window)
        let (q, r) = perWindow.dividingFullWidth(product)
        return Int64(q + (r > 0 ? 1 : 0))
    }

    private static func millisUntilFree(_ cost: UInt64, in live: [WindowEntry], rule: RateLimitRule, now: Int64)
        -> Int64
    {
        guard cost <= rule.limit else { return rule.windowMillis }
        var used = live.reduce(0) { $0 + $1.units }
        for entry in live {
            used -= entry.units
            if used + cost <= rule.limit { return entry.at + rule.windowMillis - now }
        }
        return rule.windowMillis
    }
}
