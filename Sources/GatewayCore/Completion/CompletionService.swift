/// Answers Complete and Stream: validates the request, checks the caller's rate limit, then runs the retry-and-fallback
/// plan against the providers and reports every attempt.
///
/// Time, sleeping and jitter are injected so the whole policy is tested exactly, without waiting. Cancellation of the
/// calling task (a client Cancel or a passed deadline) reaches the provider call in flight, which aborts its upstream
/// transfer, and ends any backoff sleep at once.
public struct CompletionService: Sendable {
    /// Waits `millis` milliseconds; throws when the calling task is cancelled.
    public typealias Sleeper = @Sendable (_ millis: Int64) async throws -> Void

    /// What a stream hands to its caller, in order: one `start` (just before the first delta, so a retried or
    /// fallen-back attempt never shows), then the deltas.
    public enum StreamOutput: Sendable, Hashable {
        case start(provider: ProviderKind, model: String)
        case delta(String)
    }

    /// Catalog, retry policy, switched-on providers and default model; replaceable at run time.
    public let routing: LiveSetting<CompletionRouting>
    public var catalog: ModelCatalog { routing.current.catalog }
    public var retryPolicy: RetryPolicy { routing.current.retryPolicy }
    private let providers: [ProviderKind: any CompletionProvider]
    private let limiter: RateLimiter?
    private let clock: any GatewayClock
    private let sleep: Sleeper
    private let unitRandom: @Sendable () -> Double

    public init(
        providers: [any CompletionProvider], catalog: ModelCatalog = .productDefaults,
        retryPolicy: RetryPolicy = RetryPolicy(), routing: LiveSetting<CompletionRouting>? = nil,
        limiter: RateLimiter?, clock: any GatewayClock,
        sleep: @escaping Sleeper = { try await Task.sleep(for: .milliseconds($0)) },
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        var byKind: [ProviderKind: any CompletionProvider] = [:]
        for p in providers { byKind[p.kind] = p }
        self.providers = byKind
        self.routing = routing ?? LiveSetting(CompletionRouting(catalog: catalog, retryPolicy: retryPolicy))
        self.limiter = limiter
        self.clock = clock
        self.sleep = sleep
        self.unitRandom = unitRandom
    }

    /// The providers a plan may call now: built and switched on.
    public var availableProviders: Set<ProviderKind> { available(routing.current) }

    private func available(_ routing: CompletionRouting) -> Set<ProviderKind> {
        let built = Set(providers.keys)
        return routing.enabledProviders.map { built.intersection($0) } ?? built
    }

    /// - Parameter admitted: `admit` already ran for this request (the response cache checks the rate limit before
    ///   its lookup, because a cache hit is still a request against the caller's limit).
    public func complete(_ request: CompletionRequest, admitted: Bool = false) async throws(CompletionFailure)
        -> CompletionOutcome
    {
        let started = clock.monotonicNanos()
        let routing = routing.current
        let request = admitted ? request : try await admit(request, routing)
        var run = Run(service: self, request: request, routing: routing)
        while let candidate = try await run.nextCandidate() {
            let attemptStart = clock.monotonicNanos()
            do {
                guard let provider = providers[candidate.provider] else { preconditionFailure("planned \(candidate)") }
                let completion = try await provider.complete(request, model: candidate.model)
                run.succeeded(candidate, since: attemptStart)
                return CompletionOutcome(
                    completion: completion, attempts: run.attempts, fallbackUsed: candidate != run.primary,
                    latencyMillis: millis(since: started))
            } catch {
                try run.failed(candidate, error, since: attemptStart)
            }
        }
        preconditionFailure("a plan ends with an answer or a failure")
    }

    /// Streams one request. Retry and fallback happen only until the first delta has reached `emit`; after that a
    /// failure ends the stream with a `CompletionFailure` carrying the usage seen so far. A stream whose upstream ends
    /// without its terminal event is such a failure, never a success.
    public func stream(
        _ request: CompletionRequest, admitted: Bool = false, emit: @Sendable (StreamOutput) async throws -> Void
    ) async throws(CompletionFailure) -> CompletionOutcome {
        let started = clock.monotonicNanos()
        let routing = routing.current
        let request = admitted ? request : try await admit(request, routing)
        var run = Run(service: self, request: request, routing: routing)
        while let candidate = try await run.nextCandidate() {
            let attemptStart = clock.monotonicNanos()
            var deltas: UInt64 = 0
            var firstTokenMillis: UInt64?
            var text = ""
            var upstreamID = ""
            var upstreamModel = candidate.model
            do {
                guard let provider = providers[candidate.provider] else { preconditionFailure("planned \(candidate)") }
                let events = try await provider.stream(request, model: candidate.model)
                for try await event in events {
                    switch event {
                    case .started(let id, let model):
                        upstreamID = id
                        if !model.isEmpty { upstreamModel = model }
                    case .delta(let piece):
                        if deltas == 0 {
                            try await deliver(.start(provider: candidate.provider, model: upstreamModel), emit)
                            firstTokenMillis = millis(since: started)
                        }
                        deltas += 1
                        text += piece
                        try await deliver(.delta(piece), emit)
                    case .finished(let reason, let usage):
                        if deltas == 0 {
                            try await deliver(.start(provider: candidate.provider, model: upstreamModel), emit)
                        }
                        run.succeeded(candidate, since: attemptStart)
                        let completion = Completion(
                            id: upstreamID, provider: candidate.provider, model: upstreamModel, content: text,
                            finishReason: reason, usage: usage)
                        return CompletionOutcome(
                            completion: completion, attempts: run.attempts, fallbackUsed: candidate != run.primary,
                            latencyMillis: millis(since: started), firstTokenMillis: firstTokenMillis)
                    }
                }
                throw ProviderError(
                    .network, "the stream ended without its terminal event", provider: candidate.provider,
                    model: candidate.model)
            } catch let failure as CompletionFailure {
                // The caller went away while we were handing it a delta.
                run.record(candidate, ProviderError(
                    .cancelled, failure.error.message, provider: candidate.provider, model: candidate.model),
                    since: attemptStart, estimatedOutput: deltas)
                throw CompletionFailure(failure.error, attempts: run.attempts, usage: run.usage)
            } catch {
                if deltas > 0 {
                    // Tokens reached the caller: no retry, no fallback. End with what was seen.
                    let providerError = run.classify(error, candidate)
                    run.record(candidate, providerError, since: attemptStart, estimatedOutput: deltas)
                    throw CompletionFailure(run.finalError(providerError), attempts: run.attempts, usage: run.usage)
                }
                try run.failed(candidate, error, since: attemptStart)
            }
        }
        preconditionFailure("a plan ends with an answer or a failure")
    }

    /// Hands one output to the caller; a failure there means the caller is gone, reported as cancellation.
    private func deliver(_ output: StreamOutput, _ emit: @Sendable (StreamOutput) async throws -> Void)
        async throws(CompletionFailure)
    {
        do {
            try await emit(output)
        } catch {
            throw CompletionFailure(GatewayError(.cancelled, "the caller stopped reading the stream", cause: error))
        }
    }

    /// Validation and the rate-limit check, before any upstream call (and before any cache lookup); answers the
    /// request as it will run, with the default model filled in when it named none (so a cache key covers it).
    public func admit(_ request: CompletionRequest) async throws(CompletionFailure) -> CompletionRequest {
        try await admit(request, routing.current)
    }

    /// The synchronous half of `admit`: validation and the default model, without the rate-limit check. The response
    /// cache computes its key from this answer, so its lookup can run while `checkLimit` is in flight.
    public func prepare(_ request: CompletionRequest) throws(CompletionFailure) -> CompletionRequest {
        try prepare(request, routing.current)
    }

    /// The other half of `admit`: the rate-limit check of a request `prepare` answered.
    public func checkLimit(_ request: CompletionRequest) async throws(CompletionFailure) {
        guard let limiter else { return }
        do {
            try Self.enforce(
                try await limiter.check(
                    endpoint: request.endpoint, userID: request.userID, orgID: request.orgID, cost: 1, peek: false),
                request)
        } catch {
            throw Self.limitFailure(error)
        }
    }

    /// `checkLimit` answered without suspending: true when it ran (and allowed), false when the limiter's store is
    /// not synchronous and `checkLimit` must be awaited instead. Memory limits answer here, so a cache hit on the
    /// embedded store need not wait on anything.
    public func checkLimitNow(_ request: CompletionRequest) throws(CompletionFailure) -> Bool {
        guard let limiter else { return true }
        do {
            guard let decision = try limiter.checkNow(
                endpoint: request.endpoint, userID: request.userID, orgID: request.orgID, cost: 1, peek: false)
            else { return false }
            try Self.enforce(decision, request)
            return true
        } catch {
            throw Self.limitFailure(error)
        }
    }

    /// A limit check's error as the caller sees it: a gateway error (a denial, an unreachable fail-closed store)
    /// as it is, anything else as an internal error.
    private static func limitFailure(_ error: any Error) -> CompletionFailure {
        CompletionFailure(error as? GatewayError ?? GatewayError(.internalError, "rate limit check failed", cause: error))
    }

    private func admit(_ request: CompletionRequest, _ routing: CompletionRouting) async throws(CompletionFailure)
        -> CompletionRequest
    {
        let request = try prepare(request, routing)
        try await checkLimit(request)
        return request
    }

    private func prepare(_ request: CompletionRequest, _ routing: CompletionRouting) throws(CompletionFailure)
        -> CompletionRequest
    {
        var request = request
        if request.model.isEmpty, let model = routing.defaultModel { request.model = model }
        if request.model.isEmpty {
            throw CompletionFailure(GatewayError(.invalidArgument, "model is required", reason: "missing_model"))
        }
        if request.messages.isEmpty {
            throw CompletionFailure(
                GatewayError(.invalidArgument, "at least one message is required", reason: "missing_messages"))
        }
        return request
    }

    /// A denial as the error the caller sees.
    private static func enforce(_ decision: RateLimiter.Decision, _ request: CompletionRequest) throws(GatewayError) {
        guard !decision.allowed else { return }
        let level = decision.deniedBy.map { "\($0.rawValue) " } ?? ""
        throw GatewayError(
            .resourceExhausted, "\(level)rate limit exceeded for \(request.endpoint.rawValue)",
            reason: "rate_limited", retryAfterMillis: decision.governing?.evaluation.retryAfterMillis)
    }

    fileprivate func millis(since start: UInt64) -> UInt64 {
        (clock.monotonicNanos() &- start) / 1_000_000
    }

    /// The bookkeeping of one request's plan: attempts so far, usage seen, the next candidate.
    private struct Run {
        let service: CompletionService
        let request: CompletionRequest
        var planner: CompletionPlanner
        var action: CompletionPlanner.Action
        var attempts: [AttemptRecord] = []
        var usage = TokenUsage.zero
        let primary: CompletionPlanner.Candidate?

        init(service: CompletionService, request: CompletionRequest, routing: CompletionRouting) {
            self.service = service
            self.request = request
            let available = service.available(routing)
            planner = CompletionPlanner(
                request: request, catalog: routing.catalog, retryPolicy: routing.retryPolicy,
                isAvailable: { available.contains($0) })
            action = planner.start(for: request)
            primary = planner.candidates.first
        }

        /// Waits out any backoff and returns the candidate to call, or throws the plan's final failure.
        mutating func nextCandidate() async throws(CompletionFailure) -> CompletionPlanner.Candidate? {
            switch action {
            case .fail where planner.candidates.isEmpty:
                throw CompletionFailure(GatewayError(
                    .failedPrecondition,
                    "no enabled provider serves \(request.model): configure OPENAI_API_KEY or ANTHROPIC_API_KEY",
                    reason: "no_provider"))
            case .fail(let error):
                throw CompletionFailure(finalError(error), attempts: attempts, usage: usage)
            case .attempt(let candidate, let delay):
                if delay > 0 {
                    do {
                        try await service.sleep(delay)
                    } catch {
                        throw CompletionFailure(
                            GatewayError(.cancelled, "cancelled while waiting to retry"), attempts: attempts,
                            usage: usage)
                    }
                }
                if Task.isCancelled {
                    throw CompletionFailure(GatewayError(.cancelled, "cancelled"), attempts: attempts, usage: usage)
                }
                return candidate
            }
        }

        mutating func succeeded(_ candidate: CompletionPlanner.Candidate, since start: UInt64) {
            attempts.append(
                AttemptRecord(
                    provider: candidate.provider, model: candidate.model, error: nil,
                    latencyMillis: service.millis(since: start)))
        }

        mutating func record(
            _ candidate: CompletionPlanner.Candidate, _ error: ProviderError, since start: UInt64,
            estimatedOutput: UInt64 = 0
        ) {
            attempts.append(
                AttemptRecord(
                    provider: candidate.provider, model: candidate.model, error: error,
                    latencyMillis: service.millis(since: start)))
            var seen = error.usage
            // Providers report output tokens only at the end of a stream (Anthropic's message_start carries a
            // placeholder of 1); a broken stream is charged at least one token per delta it delivered, which is how
            // both providers chunk their output.
            seen.output = max(seen.output, estimatedOutput)
            usage = usage + seen
        }

        /// Records a failed attempt and decides what comes next; cancellation ends the plan at once.
        mutating func failed(_ candidate: CompletionPlanner.Candidate, _ error: any Error, since start: UInt64)
            throws(CompletionFailure)
        {
            let providerError = classify(error, candidate)
            record(candidate, providerError, since: start)
            if providerError.category == .cancelled || Task.isCancelled {
                throw CompletionFailure(
                    GatewayError(.cancelled, "cancelled", cause: providerError), attempts: attempts, usage: usage)
            }
            action = planner.next(after: providerError, unitRandom: service.unitRandom())
        }

        func classify(_ error: any Error, _ candidate: CompletionPlanner.Candidate) -> ProviderError {
            if let e = error as? ProviderError { return e }
            if error is CancellationError || Task.isCancelled {
                return ProviderError(.cancelled, "cancelled", provider: candidate.provider, model: candidate.model)
            }
            return ProviderError(
                .network, "\(error)", provider: candidate.provider, model: candidate.model)
        }

        func finalError(_ error: ProviderError) -> GatewayError {
            var e = error.gatewayError
            if attempts.count > 1 { e.message += " (after \(attempts.count) attempts)" }
            if error.category == .rateLimited || error.category == .overloaded {
                e.retryAfterMillis = error.retryAfterMillis
            }
            return e
        }
    }
}
