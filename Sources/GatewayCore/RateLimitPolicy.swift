/// The limits that apply to each endpoint, per user, per org and for the endpoint as a whole.
public struct RateLimitPolicy: Sendable, Hashable {
    public struct EndpointLimits: Sendable, Hashable {
        public var user: RateLimitRule?
        public var org: RateLimitRule?
        public var endpoint: RateLimitRule?

        public init(user: RateLimitRule? = nil, org: RateLimitRule? = nil, endpoint: RateLimitRule? = nil) {
            self.user = user
            self.org = org
            self.endpoint = endpoint
        }

        public func rule(_ level: LimitLevel) -> RateLimitRule? {
            switch level {
            case .user: user
            case .org: org
            case .endpoint: endpoint
            }
        }
    }

    public var endpoints: [Endpoint: EndpointLimits]

    public init(endpoints: [Endpoint: EndpointLimits]) {
        self.endpoints = endpoints
    }

    /// The product spec's defaults. Translation has no figure there; it gets chat's user limit and search's org limit.
    public static let productDefaults = RateLimitPolicy(endpoints: [
        .summarize: EndpointLimits(user: .perHour(50), org: .perHour(500)),
        .search: EndpointLimits(user: .perMinute(20), org: .perHour(1_000)),
        .chat: EndpointLimits(user: .perMinute(10), org: .perHour(1_000)),
        .embeddings: EndpointLimits(user: .perMinute(30), org: .perHour(5_000)),
        .translation: EndpointLimits(user: .perMinute(10), org: .perHour(1_000)),
    ])

    /// The limits a caller's check covers, in the order user, org, endpoint. Levels without a subject are skipped.
    public func applicable(endpoint: Endpoint, userID: String, orgID: String) -> [AppliedLimit] {
        guard let limits = endpoints[endpoint] else { return [] }
        var out: [AppliedLimit] = []
        if !userID.isEmpty, let rule = limits.user {
            out.append(AppliedLimit(key: LimitKey(endpoint: endpoint, level: .user, subject: userID), rule: rule))
        }
        if !orgID.isEmpty, let rule = limits.org {
            out.append(AppliedLimit(key: LimitKey(endpoint: endpoint, level: .org, subject: orgID), rule: rule))
        }
        if let rule = limits.endpoint {
            out.append(AppliedLimit(key: LimitKey(endpoint: endpoint, level: .endpoint, subject: endpoint.rawValue),
                                    rule: rule))
        }
        return out
    }
}

/// Names one counter: an endpoint's limit at one level for one subject.
public struct LimitKey: Sendable, Hashable, CustomStringConvertible {
    public var endpoint: Endpoint
    public var level: LimitLevel
    /// A user id, an org id, or the endpoint's name for endpoint-wide limits.
    public var subject: String

    public init(endpoint: Endpoint, level: LimitLevel, subject: String) {
        self.endpoint = endpoint
        self.level = level
        self.subject = subject
    }

    public var description: String { "\(endpoint.rawValue):\(level.rawValue):\(subject)" }
}

/// A limit as it applies to one check.
public struct AppliedLimit: Sendable, Hashable {
    public var key: LimitKey
    public var rule: RateLimitRule

    public init(key: LimitKey, rule: RateLimitRule) {
        self.key = key
        self.rule = rule
    }
}
