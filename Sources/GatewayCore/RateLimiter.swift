/// Answers CheckLimit: which limits apply to a caller, one atomic check over all of them, and the verdict.
///
/// When the store is unreachable (it throws `GatewayError` with code `.unavailable`, which includes its command timeout
/// passing), a check whose limits all fail open is allowed without counting and marked `degraded`, and `onFailOpen`
/// is told; if any of its limits fails closed, the check throws that error (UNAVAILABLE on the wire).
public struct RateLimiter: Sendable {
    /// The limits in force; an admin can replace them at run time (Admin.UpdateConfig `limits.*`).
    public let livePolicy: LiveSetting<RateLimitPolicy>
    public var policy: RateLimitPolicy { livePolicy.current }
    public let store: any RateLimitStore
    /// `store` when it is synchronous, found once here rather than by a dynamic cast per check.
    private let synchronousStore: (any SynchronousRateLimitStore)?
    /// `store` when it answers by callback, likewise found once.
    private let callbackStore: (any CallbackRateLimitStore)?
    private let onFailOpen: @Sendable (GatewayError) -> Void

    public init(
        policy: RateLimitPolicy, store: any RateLimitStore,
        onFailOpen: @escaping @Sendable (GatewayError) -> Void = { _ in }
    ) {
        self.init(livePolicy: LiveSetting(policy), store: store, onFailOpen: onFailOpen)
    }

    public init(
        livePolicy: LiveSetting<RateLimitPolicy>, store: any RateLimitStore,
        onFailOpen: @escaping @Sendable (GatewayError) -> Void = { _ in }
    ) {
        self.livePolicy = livePolicy
        self.store = store
        synchronousStore = store as? any SynchronousRateLimitStore
        callbackStore = store as? any CallbackRateLimitStore
        self.onFailOpen = onFailOpen
    }

    /// The verdict on one request, with every level's state.
    public struct Decision: Sendable, Hashable {
        public var allowed: Bool
        /// The first enforced level that denied, in the order user, org, endpoint.
        public var deniedBy: LimitLevel?
        /// A shadow-mode limit would have denied.
        public var shadowDenied: Bool
        public var levels: [LimitStatus]
        /// The store was unreachable and every limit fails open: allowed without being counted.
        public var degraded: Bool = false

        /// The limit that decides the headers: the denying one, else the one with the least room left.
        public var governing: LimitStatus? {
            if let denied = levels.first(where: \.denies) { return denied }
            var least: LimitStatus?
            for status in levels where !status.rule.shadow {
                if let current = least, current.evaluation.remaining <= status.evaluation.remaining { continue }
                least = status
            }
            return least
        }
    }

    /// Checks `cost` units (0 counts as 1) for a caller. `peek` reports without consuming.
    public func check(endpoint: Endpoint, userID: String, orgID: String, cost: UInt64, peek: Bool) async throws
        -> Decision
    {
        let limits = try applicable(endpoint: endpoint, userID: userID, orgID: orgID)
        do {
            return Self.decide(try await store.check(limits, cost: max(cost, 1), peek: peek))
        } catch let error as GatewayError where error.code == .unavailable {
            return try failOpen(limits, error)
        }
    }

    /// The same check answered without suspending, when the store is synchronous; nil otherwise.
    public func checkNow(endpoint: Endpoint, userID: String, orgID: String, cost: UInt64, peek: Bool) throws
        -> Decision?
    {
        guard let store = synchronousStore else { return nil }
        let limits = try applicable(endpoint: endpoint, userID: userID, orgID: orgID)
        do {
            return Self.decide(try store.checkNow(limits, cost: max(cost, 1), peek: peek))
        } catch let error as GatewayError where error.code == .unavailable {
            return try failOpen(limits, error)
        }
    }

    /// Whether `checkNow` answers (the store never waits).
    public var isSynchronous: Bool { synchronousStore != nil }

    /// Whether the store answers by callback, so `check(...completion:)` needs no task.
    public var answersByCallback: Bool { callbackStore != nil }

    /// The same check, with the verdict or error passed to `completion` (exactly once) instead of returned. With a
    /// store that answers by callback no task is made and `completion` may run on the store's I/O thread; with any
    /// other store the check runs in a task.
    public func check(
        endpoint: Endpoint, userID: String, orgID: String, cost: UInt64, peek: Bool,
        completion: @escaping @Sendable (Result<Decision, any Error>) -> Void
    ) {
        guard let store = callbackStore else {
            Task {
                do {
                    completion(.success(try await check(
                        endpoint: endpoint, userID: userID, orgID: orgID, cost: cost, peek: peek)))
                } catch {
                    completion(.failure(error))
                }
            }
            return
        }
        let limits: [AppliedLimit]
        do {
            limits = try applicable(endpoint: endpoint, userID: userID, orgID: orgID)
        } catch {
            completion(.failure(error))
            return
        }
        store.check(limits, cost: max(cost, 1), peek: peek) { [self] result in
            switch result {
            case .success(let statuses):
                completion(.success(Self.decide(statuses)))
            case .failure(let error as GatewayError) where error.code == .unavailable:
                completion(Result { try failOpen(limits, error) })
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    private func applicable(endpoint: Endpoint, userID: String, orgID: String) throws -> [AppliedLimit] {
        guard !userID.isEmpty || !orgID.isEmpty else {
            throw GatewayError(.invalidArgument, "a limit check needs a user id or an org id", reason: "missing_caller")
        }
        return policy.applicable(endpoint: endpoint, userID: userID, orgID: orgID)
    }

    private func failOpen(_ limits: [AppliedLimit], _ error: GatewayError) throws -> Decision {
        if limits.contains(where: \.rule.failClosed) { throw error }
        onFailOpen(error)
        return Decision(allowed: true, deniedBy: nil, shadowDenied: false, levels: [], degraded: true)
    }

    private static func decide(_ statuses: [LimitStatus]) -> Decision {
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
