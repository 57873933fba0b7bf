/// Why an upstream call failed. The category decides whether aigw retries, whether it falls back to another model,
/// and which status code the caller sees; it also travels to the caller as a field of the error detail.
public enum ProviderErrorCategory: String, CaseIterable, Sendable, Hashable {
    /// The upstream rejected aigw's API key: an operator problem, not the caller's.
    case authentication
    /// The key is valid but may not use this model or feature.
    case permission
    /// The request itself is wrong (context length exceeded among them); the same request fails again.
    case invalidRequest
    /// The model (or endpoint) does not exist upstream.
    case notFound
    case rateLimited
    /// Quota or billing exhausted (OpenAI `insufficient_quota`): waiting does not help, so never retried.
    case quotaExhausted
    /// The upstream is overloaded (Anthropic 529).
    case overloaded
    case serverError
    case timeout
    /// Connection refused or reset, a cut stream, or an unreadable response.
    case network
    case cancelled

    /// Worth trying the same model again after a backoff.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .overloaded, .serverError, .timeout, .network: true
        default: false
        }
    }

    /// Worth trying the next model of the same provider once this one has failed for good.
    public var allowsModelFallback: Bool {
        isRetryable || self == .notFound || self == .permission
    }

    /// Worth trying the other provider: everything that is about this provider or model rather than the request.
    public var allowsProviderFallback: Bool {
        allowsModelFallback || self == .authentication || self == .quotaExhausted
    }

    /// The status the caller sees when this is the final error.
    public var gatewayCode: GatewayError.Code {
        switch self {
        case .authentication: .failedPrecondition
        case .permission: .permissionDenied
        case .invalidRequest: .invalidArgument
        case .notFound: .notFound
        case .rateLimited, .quotaExhausted: .resourceExhausted
        case .overloaded, .serverError, .network: .unavailable
        case .timeout: .deadlineExceeded
        case .cancelled: .cancelled
        }
    }
}
