/// The error a scripted `.status` failure returns, rendered in the exact error JSON of whichever provider endpoint was
/// hit, plus the retry hints real providers send as headers.
///
/// ``kind`` says what went wrong in provider-neutral terms; each provider renders it with its own `type`, `code` and
/// message (see ``FakeError/Kind``). ``type``, ``code`` and ``message`` override the rendered fields when set.
public struct FakeError: Sendable, Hashable {
    /// What went wrong, independent of provider.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Chosen from the HTTP status: 400 invalid request, 401 authentication, 403 permission, 404 not found,
        /// 429 rate limit, 502/503/504 unavailable, 529 overloaded, any other 5xx server error, any other 4xx
        /// invalid request.
        case automatic
        /// OpenAI `invalid_request_error`; Anthropic `invalid_request_error`.
        case invalidRequest = "invalid-request"
        /// OpenAI `invalid_request_error`/`context_length_exceeded`; Anthropic `invalid_request_error` with
        /// "prompt is too long: 200001 tokens > 200000 maximum".
        case contextLength = "context-length"
        /// OpenAI `invalid_request_error`/`invalid_api_key`; Anthropic `authentication_error`.
        case authentication = "auth"
        /// OpenAI `request_forbidden`; Anthropic `permission_error`.
        case permission
        /// OpenAI `invalid_request_error`/`model_not_found`; Anthropic `not_found_error`.
        case notFound = "not-found"
        /// OpenAI `requests`/`rate_limit_exceeded`; Anthropic `rate_limit_error`.
        case rateLimit = "rate-limit"
        /// OpenAI `insufficient_quota`/`insufficient_quota`; Anthropic has no quota error type, so it renders a
        /// `rate_limit_error` with Anthropic's usage-limit message.
        case quota
        /// OpenAI `server_error`; Anthropic `api_error`.
        case server = "server-error"
        /// OpenAI `server_error`/`service_unavailable`; Anthropic `api_error`.
        case unavailable
        /// OpenAI `server_error`; Anthropic `overloaded_error`.
        case overloaded

        /// The HTTP status this kind normally comes with (and that its short behaviour name, like `"quota"`, uses).
        public var defaultStatus: Int {
            switch self {
            case .automatic, .server: return 500
            case .invalidRequest, .contextLength: return 400
            case .authentication: return 401
            case .permission: return 403
            case .notFound: return 404
            case .rateLimit, .quota: return 429
            case .unavailable: return 503
            case .overloaded: return 529
            }
        }

        /// The kind `.automatic` stands for at `status`.
        public static func forStatus(_ status: Int) -> Kind {
            switch status {
            case 400: return .invalidRequest
            case 401: return .authentication
            case 403: return .permission
            case 404: return .notFound
            case 429: return .rateLimit
            case 502, 503, 504: return .unavailable
            case 529: return .overloaded
            case 500...599: return .server
            default: return .invalidRequest
            }
        }
    }

    public var kind: Kind
    /// Overrides the provider's error `type`.
    public var type: String?
    /// Overrides OpenAI's error `code` (Anthropic's errors have none).
    public var code: String?
    /// Overrides the error message.
    public var message: String?
    /// Sent as `retry-after: N` (seconds).
    public var retryAfterSeconds: Int?
    /// Sent as `retry-after-ms: N`.
    public var retryAfterMilliseconds: Int?
    /// Sent as `x-should-retry: true|false`.
    public var shouldRetry: Bool?

    public init(
        kind: Kind = .automatic,
        type: String? = nil,
        code: String? = nil,
        message: String? = nil,
        retryAfterSeconds: Int? = nil,
        retryAfterMilliseconds: Int? = nil,
        shouldRetry: Bool? = nil
    ) {
        self.kind = kind
        self.type = type
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.shouldRetry = shouldRetry
    }

    /// The kind to render at `status`: ``kind`` unless it is `.automatic`.
    public func resolvedKind(status: Int) -> Kind {
        kind == .automatic ? Kind.forStatus(status) : kind
    }

    /// A rate limit (429), optionally with retry hints.
    public static func rateLimit(retryAfterSeconds: Int? = nil, retryAfterMilliseconds: Int? = nil) -> FakeError {
        FakeError(
            kind: .rateLimit,
            retryAfterSeconds: retryAfterSeconds,
            retryAfterMilliseconds: retryAfterMilliseconds
        )
    }

    /// The account is out of quota or credit (429 on OpenAI: `insufficient_quota`). Retrying does not help.
    public static let quota = FakeError(kind: .quota)
    /// The prompt is longer than the model's context window (400).
    public static let contextLength = FakeError(kind: .contextLength)
    /// The API key is wrong (401).
    public static let authentication = FakeError(kind: .authentication)
    /// The key may not use this resource (403).
    public static let permission = FakeError(kind: .permission)
    /// The model does not exist (404).
    public static let modelNotFound = FakeError(kind: .notFound)
    /// An internal error at the provider (500).
    public static func server(shouldRetry: Bool? = nil) -> FakeError {
        FakeError(kind: .server, shouldRetry: shouldRetry)
    }
    /// The provider is unavailable (503).
    public static let unavailable = FakeError(kind: .unavailable)
    /// The provider is overloaded (Anthropic's 529).
    public static let overloaded = FakeError(kind: .overloaded)
}
