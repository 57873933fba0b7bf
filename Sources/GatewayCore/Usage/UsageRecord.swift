/// One request's usage: exactly one per request id, whether aigw made the call (Complete, Stream) or a service
/// reported it (TrackUsage).
public struct UsageRecord: Sendable, Hashable {
    public var requestID: String
    public var userID: String
    public var orgID: String
    public var endpoint: Endpoint
    public var provider: ProviderKind?
    public var model: String
    public var usage: TokenUsage
    /// Nano-dollars; 0 for a cache hit or an unpriced model.
    public var costNanos: Int64
    public var occurredAtMillis: Int64
    /// Answered from aigw's response cache: no upstream cost.
    public var cacheHit: Bool
    /// The model had no price and was recorded at zero cost.
    public var unpriced: Bool

    public init(
        requestID: String, userID: String, orgID: String, endpoint: Endpoint, provider: ProviderKind?, model: String,
        usage: TokenUsage, costNanos: Int64, occurredAtMillis: Int64, cacheHit: Bool = false, unpriced: Bool = false
    ) {
        self.requestID = requestID
        self.userID = userID
        self.orgID = orgID
        self.endpoint = endpoint
        self.provider = provider
        self.model = model
        self.usage = usage
        self.costNanos = costNanos
        self.occurredAtMillis = occurredAtMillis
        self.cacheHit = cacheHit
        self.unpriced = unpriced
    }
}
