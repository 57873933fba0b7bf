/// Answers CheckLimit: which limits apply to a caller, one atomic check over all of them, and the verdict.
public struct RateLimiter: Sendable {
    public let policy: RateLimitPolicy
    public let store: any RateLimitStore

    public init(policy: RateLimitPolicy, store: any RateLimitStore) {
        self.policy = policy
        self.store = store
    }

    /// The verdict on one request, with every level's state.
    public struct Decision: Sendable, Hashable {
        public var allowed: Bool
        /// The first enforced level that denied, in the order user, org, endpoint.
        public var deniedBy: LimitLevel?
        /// A shadow-mode limit would have denied.
        public var shadowDenied: Bool
        public var levels: [LimitStatus]

        /// The limit that decides the headers: the denying one, else the one with the least room left.
        public var governing: LimitStatus? {
            if let denied = levels.first(where: \.denies) { return denied }
            return levels.filter { !$0.rule.shadow }.min { $0.evaluation.remaining < $1.evaluation.remaining }
        }
    }

    /// Checks `cost` units (0 counts as 1) for a caller. `peek` reports without consuming.
    public func check(endpoint: Endpoint, userID: String, orgID: String, cost: UInt64, peek: Bool) async throws
        -> Decision
    {
        guard !userID.isEmpty || !orgID.isEmpty else {
            throw GatewayError(.invalidArgument, "a limit check needs a user id or an org id", reason: "missing_caller")
        }
        let limits = policy.applicable(endpoint: endpoint, userID: userID, orgID: orgID)
        let statuses = try await store.check(limits, cost: max(cost, 1), peek: peek)
        let denier = statuses.first(where: \.denies)
        return Decision(
            allowed: denier == nil, deniedBy: denier?.key.level,
            shadowDenied: statuses.contains { $0.rule.shadow && !$0.evaluation.allowed }, levels: statuses)
    }

    /// The state of the limits that apply to a user and/or org on one endpoint, without consuming.
    public func status(endpoint: Endpoint, userID: String, orgID: String) async throws -> [LimitStatus] {
        try await store.check(policy.applicable(endpoint: endpoint, userID: userID, orgID: orgID), cost: 0, peek: true)
    }
}
