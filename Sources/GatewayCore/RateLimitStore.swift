/// Where limit counters live. Implementations: `MemoryRateLimitStore` (one process) and, with Redis configured, a
/// store every instance shares.
///
/// The contract every store keeps, and the shared behaviour suite checks:
/// - `check` is atomic over all the limits it is given: either every enforced limit allows and all of them consume
///   `cost`, or nothing is consumed. A request the org limit denies takes nothing from the user's limit.
/// - Shadow limits are evaluated and reported, consume when the request goes through, and never deny.
/// - `peek` evaluates without consuming anything; its `remaining` is the current balance, not the balance after.
public protocol RateLimitStore: Sendable {
    func check(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) async throws -> [LimitStatus]
    /// Forgets counters of `endpoint`: the user's and/or the org's when given, otherwise every counter of the
    /// endpoint. Returns how many existed.
    func reset(endpoint: Endpoint, userID: String, orgID: String) async throws -> Int
}

/// A store that answers without waiting (the in-memory one), so a check can run inline on an event loop instead of
/// in a task of its own.
public protocol SynchronousRateLimitStore: RateLimitStore {
    func checkNow(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) throws -> [LimitStatus]
}

/// A store whose answers arrive on an I/O thread (the Redis one), which can hand them to a callback there instead of
/// resuming a task: a check then costs no task of its own, no continuation and no hop back to the waiting task, which
/// at one call in flight was a large part of what aigw added to the store's own round trip.
public protocol CallbackRateLimitStore: RateLimitStore {
    /// Checks like `check(_:cost:peek:)` and calls `completion` exactly once, with what that would return or throw.
    /// `completion` may run on the store's I/O thread, so it must not block.
    func check(
        _ limits: [AppliedLimit], cost: UInt64, peek: Bool,
        completion: @escaping @Sendable (Result<[LimitStatus], any Error>) -> Void)
}

/// One limit's state after a check.
public struct LimitStatus: Sendable, Hashable {
    public var key: LimitKey
    public var rule: RateLimitRule
    public var evaluation: LimitCounter.Evaluation

    public init(key: LimitKey, rule: RateLimitRule, evaluation: LimitCounter.Evaluation) {
        self.key = key
        self.rule = rule
        self.evaluation = evaluation
    }

    /// Whether this limit stops the request: it denies and is not in shadow mode.
    public var denies: Bool { !evaluation.allowed && !rule.shadow }
}
