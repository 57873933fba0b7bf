/// A failed upstream call, classified. Translators build it from the provider's status, headers and error body; the
/// HTTP layer's failures (timeouts, resets, cut streams) become `.timeout` or `.network`.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var category: ProviderErrorCategory
    public var message: String
    public var provider: ProviderKind
    public var model: String
    /// The HTTP status, when the upstream answered.
    public var httpStatus: Int?
    /// The provider's own error type/code (e.g. "insufficient_quota", "overloaded_error").
    public var upstreamCode: String?
    /// From `retry-after-ms` or `retry-after`: how long the upstream asks us to wait.
    public var retryAfterMillis: Int64?
    /// From `x-should-retry`: the upstream's explicit verdict, which overrides the category's.
    public var shouldRetry: Bool?
    /// Tokens the upstream reported before failing (a stream that broke midway).
    public var usage: TokenUsage

    public init(
        _ category: ProviderErrorCategory, _ message: String, provider: ProviderKind, model: String,
        httpStatus: Int? = nil, upstreamCode: String? = nil, retryAfterMillis: Int64? = nil, shouldRetry: Bool? = nil,
        usage: TokenUsage = .zero
    ) {
        self.category = category
        self.message = message
        self.provider = provider
        self.model = model
        self.httpStatus = httpStatus
        self.upstreamCode = upstreamCode
        self.retryAfterMillis = retryAfterMillis
        self.shouldRetry = shouldRetry
        self.usage = usage
    }

    /// Retry the same model? The upstream's `x-should-retry` wins, except that exhausted quota is never retried.
    public var isRetryable: Bool {
        if category == .quotaExhausted || category == .cancelled { return false }
        return shouldRetry ?? category.isRetryable
    }

    /// The error a caller sees: the category's status code, a stable reason, and this error as the cause so the wire
    /// layer can add category, provider, model and retry-after to the error detail.
    public var gatewayError: GatewayError {
        GatewayError(
            category.gatewayCode, "\(provider) \(model): \(message)", reason: "upstream_\(category.snakeCase)",
            cause: self)
    }

    public var description: String {
        var s = "\(category) from \(provider)/\(model)"
        if let httpStatus { s += " (HTTP \(httpStatus))" }
        return s + ": \(message)"
    }
}

extension ProviderErrorCategory {
    /// "invalid_request" for `.invalidRequest`: the spelling used in reasons and metrics.
    public var snakeCase: String {
        var out = ""
        for ch in rawValue {
            if ch.isUppercase {
                out += "_" + ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
