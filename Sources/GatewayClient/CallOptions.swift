/// Per-call settings.
public struct CallOptions: Sendable {
    /// Sent as the call's deadline; the server cancels the work when it passes. The client also stops waiting
    /// shortly after, in case the server never answers.
    public var timeout: Duration?
    /// Echoed in the server's logs; the server generates one when empty.
    public var requestID: String
    /// Overrides the connection's token for this call.
    public var authToken: String?

    public init(timeout: Duration? = nil, requestID: String = "", authToken: String? = nil) {
        self.timeout = timeout
        self.requestID = requestID
        self.authToken = authToken
    }
}
