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
        if !error.reason.isEmpty {
            var d = Aigw_V1_ErrorDetail()
            d.reason = error.reason
            detail = d
        }
        self.init(code, error.message, detail: detail)
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
