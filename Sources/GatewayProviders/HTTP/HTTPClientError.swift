/// Why an HTTP exchange with an upstream failed, sorted into the few kinds a caller acts on differently.
///
/// Retry and failover logic switches on `kind`; `curlCode` and `message` are for logs. A timeout names its phase, so a
/// stalled stream (`.idle`) is told apart from an upstream that never answered (`.firstByte`). The struct can grow new
/// kinds and fields without breaking callers that only read `kind` (the `RPCError` shape from grpc-swift-2).
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The classes of failure a caller can tell apart.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The request could not be sent as given: a bad URL or scheme, a header containing CR or LF, a bad method.
        case invalidRequest
        /// No connection could be made: DNS failure, connection refused, no route.
        case connect
        /// The TLS handshake failed or the peer's certificate did not verify.
        case tls
        /// One of the request's timeouts expired; the associated value says which.
        case timeout(TimeoutPhase)
        /// The connection failed after it was made: reset, receive or send error, a body cut short, no response.
        case network
        /// The response body was larger than the caller allowed (`HTTPResponseBody.collect(upTo:)`).
        case responseTooLarge
        /// The caller cancelled: the awaiting task was cancelled, or the body was cancelled or dropped.
        case cancelled
        /// The client was shut down while the request was in flight, or before it was sent.
        case shutdown

        public var description: String {
            switch self {
            case .invalidRequest: "invalid request"
            case .connect: "connect failed"
            case .tls: "TLS failed"
            case .timeout(let phase): "\(phase) timeout"
            case .network: "network error"
            case .responseTooLarge: "response too large"
            case .cancelled: "cancelled"
            case .shutdown: "client shut down"
            }
        }
    }

    /// Which of `HTTPTimeouts` expired.
    public enum TimeoutPhase: Sendable, Hashable, CustomStringConvertible {
        /// Connecting (DNS, TCP and TLS) took longer than `HTTPTimeouts.connect`.
        case connect
        /// The response head did not arrive within `HTTPTimeouts.firstByte` of the request starting.
        case firstByte
        /// The body went quiet for longer than `HTTPTimeouts.idle`.
        case idle
        /// The whole exchange took longer than `HTTPTimeouts.total`.
        case total

        public var description: String {
            switch self {
            case .connect: "connect"
            case .firstByte: "first-byte"
            case .idle: "idle"
            case .total: "total"
            }
        }
    }

    /// What went wrong, for callers to act on.
    public var kind: Kind
    /// libcurl's `CURLcode` when the failure came from libcurl, for logs.
    public var curlCode: Int32?
    /// A human-readable account, usually libcurl's error buffer.
    public var message: String

    public init(_ kind: Kind, curlCode: Int32? = nil, message: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
    }

    public var description: String {
        if let curlCode { return "\(kind): \(message) (curl \(curlCode))" }
        return "\(kind): \(message)"
    }
}
