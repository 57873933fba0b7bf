import GatewayCore
import GatewayWire

/// CheckLimit on the Gateway service and GetLimits/ResetLimits on Admin, over Core's `RateLimiter`.
struct LimitService: Sendable {
    let limiter: RateLimiter
    /// Counts verdicts per endpoint (allowed, denied by level, shadow denials, fail-open); nil when metrics are off.
    var metrics: LimitMetrics? = nil

    func register(into router: inout MethodRouter) {
        if limiter.isSynchronous {
            // The in-memory store never waits: answer on the event loop, without a task per check.
            router.inlineUnary(Aigw_V1_Gateway.checkLimit) { request, _ in try checkNow(request) }
        } else if limiter.answersByCallback {
            // The Redis store answers on the connection's loop: answer from its reply, without a task per check.
            router.callbackUnary(Aigw_V1_Gateway.checkLimit) { request, _, respond in try check(request, respond) }
        } else {
            router.unary(Aigw_V1_Gateway.checkLimit) { request, _ in try await check(request) }
        }
        router.unary(Aigw_V1_Admin.getLimits) { request, _ in try await limits(request) }
        router.unary(Aigw_V1_Admin.resetLimits) { request, _ in try await reset(request) }
    }

    func check(_ request: Aigw_V1_CheckLimitRequest) async throws -> Aigw_V1_CheckLimitResponse {
        let (endpoint, caller) = try Self.target(request)
        let decision = try await limiter.check(
            endpoint: endpoint, userID: caller.userId, orgID: caller.orgId, cost: UInt64(request.cost), peek: request.peek)
        metrics?.record(endpoint, decision)
        return Self.response(decision)
    }

    func check(
        _ request: Aigw_V1_CheckLimitRequest,
        _ respond: @escaping @Sendable (Result<Aigw_V1_CheckLimitResponse, any Error>) -> Void
    ) throws {
        let (endpoint, caller) = try Self.target(request)
        let metrics = self.metrics
        limiter.check(
            endpoint: endpoint, userID: caller.userId, orgID: caller.orgId, cost: UInt64(request.cost), peek: request.peek
        ) { decision in
            if let metrics, case .success(let verdict) = decision { metrics.record(endpoint, verdict) }
            respond(decision.map(Self.response))
        }
    }

    func checkNow(_ request: Aigw_V1_CheckLimitRequest) throws -> Aigw_V1_CheckLimitResponse {
        let (endpoint, caller) = try Self.target(request)
        guard let decision = try limiter.checkNow(
            endpoint: endpoint, userID: caller.userId, orgID: caller.orgId, cost: UInt64(request.cost), peek: request.peek)
        else { throw GatewayError(.internalError, "the limit store cannot answer synchronously") }
        metrics?.record(endpoint, decision)
        return Self.response(decision)
    }

    private static func target(_ request: Aigw_V1_CheckLimitRequest) throws -> (Endpoint, Aigw_V1_Caller) {
        guard let caller = request.caller else {
            throw GatewayError(.invalidArgument, "caller is required", reason: "missing_caller")
        }
        return (try endpoint(caller.endpoint), caller)
    }

    private static func response(_ decision: RateLimiter.Decision) -> Aigw_V1_CheckLimitResponse {
        var response = Aigw_V1_CheckLimitResponse()
        response.allowed = decision.allowed
        response.deniedBy = decision.deniedBy.map(WireMapping.level) ?? .unspecified
        response.shadowDenied = decision.shadowDenied
        response.levels = decision.levels.map(WireMapping.limitStatus)
        response.degraded = decision.degraded
        if let governing = decision.governing {
            response.limit = governing.evaluation.limit
            response.remaining = governing.evaluation.remaining
            response.resetAtUnixMs = governing.evaluation.resetAt
            response.retryAfterMs = UInt64(max(0, governing.evaluation.retryAfterMillis))
        }
        return response
    }

    func limits(_ request: Aigw_V1_GetLimitsRequest) async throws -> Aigw_V1_GetLimitsResponse {
        let endpoints = request.endpoint == .unspecified ? Endpoint.allCases : [try Self.endpoint(request.endpoint)]
        var response = Aigw_V1_GetLimitsResponse()
        for endpoint in endpoints {
            let statuses = try await limiter.status(endpoint: endpoint, userID: request.userId, orgID: request.orgId)
            response.limits += statuses.map(WireMapping.limitStatus)
        }
        return response
    }

    func reset(_ request: Aigw_V1_ResetLimitsRequest) async throws -> Aigw_V1_ResetLimitsResponse {
        guard request.endpoint != .unspecified else {
            throw GatewayError(.invalidArgument, "endpoint is required", reason: "missing_endpoint")
        }
        let endpoint = try Self.endpoint(request.endpoint)
        var response = Aigw_V1_ResetLimitsResponse()
        response.resetCount = UInt32(
            clamping: try await limiter.store.reset(endpoint: endpoint, userID: request.userId, orgID: request.orgId))
        return response
    }

    private static func endpoint(_ e: Aigw_V1_Endpoint) throws -> Endpoint {
        try WireMapping.requiredEndpoint(e)
    }
}
