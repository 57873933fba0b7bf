/// Why a job's run produced no answer, classified for the queue: the classification alone decides between retry,
/// wait, failed and dead (see `JobStateMachine`).
public struct JobFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Worth another attempt after a backoff: rate limited or overloaded upstream, server errors, network errors,
        /// timeouts (the categories `CompletionService` retries), and aigw's own dependencies being unavailable.
        case retryable
        /// The gateway's own rate limit or a budget said no: the job waits without using an attempt.
        case deferred
        /// The request itself is wrong (invalid, unknown model, not permitted): it would fail the same way again.
        case permanent
        /// An operator-side problem (a rejected API key, exhausted quota, no provider configured): retrying soon does
        /// not help, but replaying from the dead-letter queue once it is fixed does.
        case fatal
        /// The run was cancelled (shutdown); the job goes back to the queue unchanged.
        case cancelled
    }

    public var kind: Kind
    public var message: String
    /// A wait the limiter or upstream asked for.
    public var retryAfterMillis: Int64?

    public init(_ kind: Kind, _ message: String, retryAfterMillis: Int64? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterMillis = retryAfterMillis
    }

    public var description: String { message }

    /// Classifies the error a completion ended with; `category` is the last upstream attempt's, when one was made.
    public static func classify(_ error: GatewayError, category: ProviderErrorCategory?) -> JobFailure {
        let message = error.reason.isEmpty ? "\(error.code): \(error.message)" : "\(error.code) \(error.reason): \(error.message)"
        if error.reason == "rate_limited" || error.reason == "budget_exhausted" {
            return JobFailure(.deferred, message, retryAfterMillis: error.retryAfterMillis)
        }
        if let category {
            switch category {
            case .cancelled: return JobFailure(.cancelled, message)
            case .authentication, .quotaExhausted: return JobFailure(.fatal, message)
            case .invalidRequest, .notFound, .permission: return JobFailure(.permanent, message)
            case .rateLimited, .overloaded, .serverError, .timeout, .network:
                return JobFailure(.retryable, message, retryAfterMillis: error.retryAfterMillis)
            }
        }
        switch error.code {
        case .cancelled: return JobFailure(.cancelled, message)
        case .invalidArgument, .notFound, .permissionDenied, .alreadyExists: return JobFailure(.permanent, message)
        case .failedPrecondition, .unauthenticated, .unimplemented: return JobFailure(.fatal, message)
        default: return JobFailure(.retryable, message, retryAfterMillis: error.retryAfterMillis)
        }
    }
}
