import GatewayCore

/// A call that ended with a non-OK status: what clients throw and what handlers' errors become on the wire.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Aigw_V1_StatusCode
    public var message: String
    public var detail: Aigw_V1_ErrorDetail?

    public init(_ code: Aigw_V1_StatusCode, _ message: String, detail: Aigw_V1_ErrorDetail? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public init(status: Aigw_V1_Status) {
        self.init(status.code, status.message, detail: status.detail)
    }

    /// The one place where domain error codes become wire status codes.
    public init(_ error: GatewayError) {
        let code: Aigw_V1_StatusCode =
            switch error.code {
            case .invalidArgument: .invalidArgument
            case .notFound: .notFound
            case .alreadyExists: .alreadyExists
            case .permissionDenied: .permissionDenied
            case .unauthenticated: .unauthenticated
            case .resourceExhausted: .resourceExhausted
            case .failedPrecondition: .failedPrecondition
            case .unavailable: .unavailable
            case .deadlineExceeded: .deadlineExceeded
            case .cancelled: .cancelled
            case .unimplemented: .unimplemented
            default: .internal
            }
        var detail: Aigw_V1_ErrorDetail?
        let upstream = error.cause as? ProviderError
        if !error.reason.isEmpty || error.retryAfterMillis != nil || upstream != nil {
            var d = Aigw_V1_ErrorDetail()
            d.reason = error.reason
            if let retryAfter = error.retryAfterMillis, retryAfter > 0 { d.retryAfterMs = UInt64(retryAfter) }
            if let upstream {
                d.category = Self.category(upstream.category)
                d.provider = Self.provider(upstream.provider)
                d.model = upstream.model
            }
            detail = d
        }
        self.init(code, error.message, detail: detail)
    }

    /// Core's provider error categories on the wire.
    public static func category(_ c: ProviderErrorCategory) -> Aigw_V1_ErrorCategory {
        switch c {
        case .authentication: .authentication
        case .permission: .permission
        case .invalidRequest: .invalidRequest
        case .notFound: .notFound
        case .rateLimited: .rateLimited
        case .quotaExhausted: .quotaExhausted
        case .overloaded: .overloaded
        case .serverError: .serverError
        case .timeout: .timeout
        case .network: .network
        case .cancelled: .cancelled
        }
    }

    public static func provider(_ p: ProviderKind) -> Aigw_V1_Provider {
        switch p {
        case .openai: .openai
        case .anthropic: .anthropic
        }
    }

    public var status: Aigw_V1_Status {
        var s = Aigw_V1_Status()
        s.code = code
        s.message = message
        s.detail = detail
        return s
    }

    public var description: String {
        let reason = detail.map { $0.reason.isEmpty ? "" : " [\($0.reason)]" } ?? ""
        return "\(code.name): \(message)\(reason)"
    }
}

extension Aigw_V1_StatusCode {
    /// The gRPC name, e.g. "UNIMPLEMENTED".
    public var name: String {
        let prefix = "STATUS_CODE_"
        return protoName.hasPrefix(prefix) ? String(protoName.dropFirst(prefix.count)) : protoName
    }
}
