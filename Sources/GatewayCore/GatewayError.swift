/// The error every domain operation throws: a code that says how the caller should react, a message for humans and
/// an optional underlying cause.
///
/// The code set mirrors what a client can act on; the wire layer maps each code to an RPC status in one place
/// (`RPCError.init(_:)` in GatewayWire), so domain code never names wire statuses.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, notFound, alreadyExists, permissionDenied, unauthenticated, resourceExhausted,
                failedPrecondition, unavailable, deadlineExceeded, cancelled, unimplemented, internalError
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The request is wrong and retrying it unchanged will fail again.
        public static let invalidArgument = Code(.invalidArgument)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        /// The caller is known but not allowed to do this.
        public static let permissionDenied = Code(.permissionDenied)
        /// The caller's credentials are missing or wrong.
        public static let unauthenticated = Code(.unauthenticated)
        /// A limit or quota was hit; retrying later may succeed.
        public static let resourceExhausted = Code(.resourceExhausted)
        public static let failedPrecondition = Code(.failedPrecondition)
        /// A dependency is down or the server is draining; retrying may succeed.
        public static let unavailable = Code(.unavailable)
        public static let deadlineExceeded = Code(.deadlineExceeded)
        public static let cancelled = Code(.cancelled)
        public static let unimplemented = Code(.unimplemented)
        /// A bug or broken invariant on our side.
        public static let internalError = Code(.internalError)

        public var description: String { String(describing: wrapped) }
    }

    public var code: Code
    public var message: String
    /// A stable snake_case reason for machines, e.g. "admin_token_required".
    public var reason: String
    public var cause: (any Error & Sendable)?
    /// When retrying makes sense, how long the caller should wait first (a rate limit's reset, an upstream's hint).
    public var retryAfterMillis: Int64?

    public init(
        _ code: Code, _ message: String, reason: String = "", cause: (any Error & Sendable)? = nil,
        retryAfterMillis: Int64? = nil
    ) {
        self.code = code
        self.message = message
        self.reason = reason
        self.cause = cause
        self.retryAfterMillis = retryAfterMillis
    }

    public var description: String {
        var s = "\(code): \(message)"
        if let cause { s += " (cause: \(cause))" }
        return s
    }
}
