/// How a limit counts.
public enum LimitAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// Refills `limit` units per window continuously, holding at most `burst`: smooth, and allows short bursts.
    case tokenBucket = "token_bucket"
    /// At most `limit` units in any window-long span: strict, no bursts beyond the limit.
    case slidingWindow = "sliding_window"
}

/// Whose usage a limit counts.
public enum LimitLevel: String, Sendable, Hashable, CaseIterable {
    case user
    case org
    /// Every caller of the endpoint together.
    case endpoint
}

/// One limit: `limit` units per `windowMillis`, counted by `algorithm`.
public struct RateLimitRule: Sendable, Hashable {
    public var algorithm: LimitAlgorithm
    public var limit: UInt64
    public var windowMillis: Int64
    /// Token bucket capacity; `limit` when not set higher. Ignored by the sliding window.
    public var burst: UInt64
    /// Evaluated and reported, but never denies.
    public var shadow: Bool
    /// When the shared store cannot be reached: deny with UNAVAILABLE (true) or allow (false, the default).
    public var failClosed: Bool

    public init(
        _ algorithm: LimitAlgorithm, limit: UInt64, windowMillis: Int64, burst: UInt64? = nil, shadow: Bool = false,
        failClosed: Bool = false
    ) {
        precondition(limit > 0 && windowMillis > 0, "a limit needs a positive count and window")
        self.algorithm = algorithm
        self.limit = limit
        self.windowMillis = windowMillis
        self.burst = max(burst ?? limit, limit)
        self.shadow = shadow
        self.failClosed = failClosed
    }

    public static func perMinute(_ limit: UInt64, _ algorithm: LimitAlgorithm = .tokenBucket) -> RateLimitRule {
        RateLimitRule(algorithm, limit: limit, windowMillis: 60_000)
    }

    public static func perHour(_ limit: UInt64, _ algorithm: LimitAlgorithm = .tokenBucket) -> RateLimitRule {
        RateLimitRule(algorithm, limit: limit, windowMillis: 3_600_000)
    }
}
