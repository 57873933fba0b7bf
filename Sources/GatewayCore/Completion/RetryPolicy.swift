/// Exponential backoff with full jitter, as the official SDKs do it, plus the upstream's own hints.
///
/// Full jitter (a uniform delay between zero and the exponential ceiling) spreads retries of many callers that
/// failed together, so they do not hit the recovering upstream in lockstep.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt, per model.
    public var maxRetries: Int
    public var baseDelayMillis: Int64
    public var maxDelayMillis: Int64
    /// A `retry-after` longer than this is not waited for: the model is treated as failed and fallback begins.
    public var maxHonouredRetryAfterMillis: Int64

    public init(
        maxRetries: Int = 2, baseDelayMillis: Int64 = 500, maxDelayMillis: Int64 = 8_000,
        maxHonouredRetryAfterMillis: Int64 = 60_000
    ) {
        self.maxRetries = maxRetries
        self.baseDelayMillis = baseDelayMillis
        self.maxDelayMillis = maxDelayMillis
        self.maxHonouredRetryAfterMillis = maxHonouredRetryAfterMillis
    }

    /// The exponential ceiling before retry number `retry` (1-based): base·2^(retry-1), capped.
    public func ceilingMillis(retry: Int) -> Int64 {
        let shift = min(max(retry - 1, 0), 30)
        let raw = baseDelayMillis.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        return raw.overflow ? maxDelayMillis : min(raw.partialValue, maxDelayMillis)
    }

    /// How long to wait before retry number `retry` (1-based) after `error`, or nil when it must not be retried here
    /// (not retryable, out of retries, or the upstream asks for a longer wait than we honour).
    /// `unitRandom` is uniform in [0, 1); it is injected so tests are exact.
    public func delayMillis(beforeRetry retry: Int, after error: ProviderError, unitRandom: Double) -> Int64? {
        guard error.isRetryable, retry <= maxRetries else { return nil }
        if let hint = error.retryAfterMillis, hint >= 0 {
            return hint <= maxHonouredRetryAfterMillis ? hint : nil
        }
        let ceiling = ceilingMillis(retry: retry)
        return Int64((Double(ceiling) * min(max(unitRandom, 0), 0.999_999)).rounded(.down))
    }
}
