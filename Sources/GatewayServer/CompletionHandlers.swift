import GatewayCore
import GatewayWire
import Logging

/// Complete and Stream on the Gateway service, over Core's `CompletionService` and, when enabled, the response cache.
///
/// With the cache, the rate limit is checked and the cache consulted (a hit is still a request against the caller's
/// limit: a denial wins over any answer the lookup found): a hit (or the answer of an identical request in flight) is
/// answered at once, recorded as usage with the cache-hit flag at zero cost (written behind on Redis, see
/// `UsageTracker.trackBehind`), and reserves no budget; a miss goes upstream as before and its answer is stored. A
/// cache failure is a miss, never an error.
///
/// Cancellation needs nothing here: a client Cancel or a passed deadline cancels the call's task, which aborts the
/// provider's upstream transfer and any backoff sleep, or stops waiting for an identical request in flight.
struct CompletionHandlers: Sendable {
    let service: CompletionService
    /// Charges every answered or broken call; nil only in tests that do not account.
    let tracker: UsageTracker?
    /// Reserves each call's estimated cost against enforced budgets; the reservation is released after the call's
    /// usage is recorded, never before, so concurrent checks always see one or the other.
    let budgets: BudgetService?
    /// nil when `cache.enabled` is false.
    var cache: ResponseCache? = nil
    /// How calls end, for the error-rate alert.
    var outcomes: CompletionOutcomeCounter? = nil
    /// This instance's cache lookups, for the hit-rate alert and `aigwctl top`.
    var lookups: CacheLookupCounter? = nil
    /// Upstream attempts, retries, fallbacks, time to first token and cache lookups for Prometheus; nil when metrics
    /// are off.
    var metrics: GatewayMetrics? = nil
    /// Per-model latency, errors, throughput and cost for `Admin.GetModelStats`.
    var performance: ModelPerformance? = nil

    /// A replayed stream's deltas carry at most this many Unicode scalars each.
    static let replayChunkScalars = 512

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Gateway.complete) { request, context in try await complete(request, context) }
        router.serverStreaming(Aigw_V1_Gateway.stream) { request, context, writer in
            try await stream(request, context, writer)
        }
    }

    func complete(_ request: Aigw_V1_CompleteRequest, _ context: CallContext) async throws -> Aigw_V1_CompleteResponse {
        let requestID = request.requestId.isEmpty ? context.requestID : request.requestId
        let neutral = try WireMapping.completionRequest(request, requestID: requestID)
        let control = try WireMapping.cacheControl(request.cache)
        // The call's logger is built only where it is used: a hit logs nothing unless its usage is not recorded.
        guard let cache else { return try await upstream(neutral, requestID, context.logger, admitted: false) }
        let admitted = try prepare(neutral)
        let key = cache.key(for: admitted)
        switch try await admitAndResolve(admitted, key, control, cache) {
        case .hit(let answer), .shared(let answer):
            await charge(admitted, cached: answer, context)
            outcomes?.succeeded()
            return WireMapping.completeResponse(cached: answer, requestID: requestID)
        case .lead(let flight):
            do {
                return try await upstream(admitted, requestID, context.logger, admitted: true) {
                    await cache.finish(flight, with: $0)
                }
            } catch {
                cache.abandon(flight)
                throw error
            }
        case .alone:
            return try await upstream(admitted, requestID, context.logger, admitted: true) {
                await cache.store(key, $0, control: control)
            }
        }
    }

    /// One completion with its accounting, past the cache: reserve against budgets, run (rate limit unless already
    /// admitted, retries, fallback), charge the usage, release the reservation. Complete and the queue's workers share
    /// it, so queued work is limited, budgeted and charged exactly like a direct call. A budget denial is a failure
    /// without attempts.
    func run(_ neutral: CompletionRequest, requestID: String, logger: Logger, admitted: Bool = false,
             onAnswer: (Completion) async -> Void = { _ in }) async throws(CompletionFailure)
        -> Aigw_V1_CompleteResponse
    {
        let hold: BudgetHold
        do {
            hold = try await budgets?.reserve(for: neutral) ?? .none
        } catch {
            throw CompletionFailure(error)
        }
        do {
            let outcome = try await service.complete(neutral, admitted: admitted)
            await onAnswer(outcome.completion)
            log(outcome, logger)
            var response = WireMapping.completeResponse(outcome, requestID: requestID)
            response.costNanoUsd = await charge(neutral, outcome, logger) ?? 0
            await budgets?.release(hold)
            outcomes?.succeeded()
            observe(outcome, cost: response.costNanoUsd)
            return response
        } catch {
            outcomes?.failed(error.error)
            log(error, logger)
            let cost = await charge(neutral, error, logger)
            await budgets?.release(hold)
            observe(error, cost: cost)
            throw error
        }
    }

    private func upstream(
        _ neutral: CompletionRequest, _ requestID: String, _ logger: Logger, admitted: Bool,
        onAnswer: (Completion) async -> Void = { _ in }
    ) async throws -> Aigw_V1_CompleteResponse {
        do {
            return try await run(neutral, requestID: requestID, logger: logger, admitted: admitted, onAnswer: onAnswer)
        } catch {
            throw error.error
        }
    }

    /// Validation and the default model, ahead of the cache lookup; answers the request as it will run, which is
    /// what the cache key must cover.
    private func prepare(_ neutral: CompletionRequest) throws -> CompletionRequest {
        do {
            return try service.prepare(neutral)
        } catch {
            outcomes?.failed(error.error)
            throw error.error
        }
    }

    /// The rate-limit check and the cache's verdict for a prepared request; a denial wins over whatever the lookup
    /// found. A hit waits for the slower of the two, not their sum: a synchronous limiter (memory) is checked in
    /// place first, and any other (Redis) while the lookup runs in a child task (on one Redis both commands share a
    /// round trip). On a denial the lookup is cancelled (a request waiting for an identical one stops waiting), its
    /// answer dropped, and a flight it leads abandoned, so requests that joined it go upstream on their own instead
    /// of waiting for an answer that will not come. Only an admitted request's lookup feeds the hit and miss counters
    /// here (the store's own statistics count every lookup it served).
    private func admitAndResolve(
        _ request: CompletionRequest, _ key: CacheKey, _ control: CacheControl, _ cache: ResponseCache
    ) async throws -> ResponseCache.Resolution {
        let checked: Bool
        do {
            checked = try service.checkLimitNow(request)
        } catch {
            outcomes?.failed(error.error)
            throw error.error
        }
        if checked || control.bypass {
            if !checked { try await checkLimit(request) }
            do {
                return counted(try await cache.resolve(key, control: control), control, request.endpoint)
            } catch {
                throw GatewayError(.cancelled, "cancelled while waiting for an identical request", cause: error)
            }
        }
        let (denial, lookup) = await withTaskGroup(
            of: Result<ResponseCache.Resolution, CancellationError>.self
        ) { group in
            group.addTask {
                do throws(CancellationError) {
                    return .success(try await cache.resolve(key, control: control))
                } catch {
                    return .failure(error)
                }
            }
            var denial: CompletionFailure?
            do throws(CompletionFailure) {
                try await service.checkLimit(request)
            } catch {
                denial = error
                group.cancelAll()
            }
            return (denial, await group.next()!)
        }
        if let denial {
            if case .success(.lead(let flight)) = lookup { cache.abandon(flight) }
            outcomes?.failed(denial.error)
            throw denial.error
        }
        switch lookup {
        case .success(let resolution):
            return counted(resolution, control, request.endpoint)
        case .failure(let error):
            throw GatewayError(.cancelled, "cancelled while waiting for an identical request", cause: error)
        }
    }

    private func checkLimit(_ request: CompletionRequest) async throws {
        do {
            try await service.checkLimit(request)
        } catch {
            outcomes?.failed(error.error)
            throw error.error
        }
    }

    /// Counts the cache's verdict as a hit or a miss unless the caller bypassed the read.
    private func counted(_ resolution: ResponseCache.Resolution, _ control: CacheControl, _ endpoint: Endpoint)
        -> ResponseCache.Resolution
    {
        if !control.bypass {
            let hit: Bool
            switch resolution {
            case .hit, .shared: hit = true
            case .lead, .alone: hit = false
            }
            lookups?.record(hit: hit)
            metrics?.cacheLookup(endpoint: endpoint, hit: hit)
        }
        return resolution
    }

    /// Sends StreamStart, the deltas as they arrive, then StreamEnd. When the stream breaks after tokens reached the
    /// caller, a StreamEnd with the usage seen so far (finish reason unspecified) precedes the error status, so the
    /// caller knows what it was charged for. A cached answer is replayed the same way, with `cache_hit` set on
    /// StreamStart; only a finished stream is stored.
    func stream(
        _ request: Aigw_V1_CompleteRequest, _ context: CallContext, _ writer: StreamWriter<Aigw_V1_StreamEvent>
    ) async throws {
        let requestID = request.requestId.isEmpty ? context.requestID : request.requestId
        let neutral = try WireMapping.completionRequest(request, requestID: requestID)
        let control = try WireMapping.cacheControl(request.cache)
        guard let cache else { return try await streamUpstream(neutral, requestID, context, writer, admitted: false) }
        let admitted = try prepare(neutral)
        let key = cache.key(for: admitted)
        switch try await admitAndResolve(admitted, key, control, cache) {
        case .hit(let answer), .shared(let answer):
            try await replay(answer, admitted, requestID, context, writer)
        case .lead(let flight):
            do {
                try await streamUpstream(admitted, requestID, context, writer, admitted: true) {
                    await cache.finish(flight, with: $0)
                }
            } catch {
                cache.abandon(flight)
                throw error
            }
        case .alone:
            try await streamUpstream(admitted, requestID, context, writer, admitted: true) {
                await cache.store(key, $0, control: control)
            }
        }
    }

    /// A cached answer as stream items: StreamStart with `cache_hit`, the content in deltas of at most
    /// `replayChunkScalars` Unicode scalars, StreamEnd with the original usage at zero cost.
    private func replay(
        _ answer: CachedAnswer, _ neutral: CompletionRequest, _ requestID: String, _ context: CallContext,
        _ writer: StreamWriter<Aigw_V1_StreamEvent>
    ) async throws {
        var start = Aigw_V1_StreamStart()
        start.requestId = requestID
        start.provider = WireMapping.provider(answer.provider)
        start.model = answer.model
        start.cacheHit = true
        var event = Aigw_V1_StreamEvent()
        event.event = .start(start)
        try await writer.send(event)
        let scalars = answer.content.unicodeScalars
        var from = scalars.startIndex
        while from < scalars.endIndex {
            let to = scalars.index(from, offsetBy: Self.replayChunkScalars, limitedBy: scalars.endIndex) ?? scalars.endIndex
            var delta = Aigw_V1_TextDelta()
            delta.text = String(scalars[from..<to])
            event.event = .delta(delta)
            try await writer.send(event)
            from = to
        }
        await charge(neutral, cached: answer, context)
        outcomes?.succeeded()
        var end = Aigw_V1_StreamEnd()
        end.finishReason = WireMapping.finishReason(answer.finishReason)
        end.usage = WireMapping.usage(answer.usage)
        end.id = answer.id
        event.event = .end(end)
        try await writer.send(event)
    }

    private func streamUpstream(
        _ neutral: CompletionRequest, _ requestID: String, _ context: CallContext,
        _ writer: StreamWriter<Aigw_V1_StreamEvent>, admitted: Bool, onAnswer: (Completion) async -> Void = { _ in }
    ) async throws {
        let hold = try await budgets?.reserve(for: neutral) ?? .none
        let outcome: CompletionOutcome
        do {
            outcome = try await service.stream(neutral, admitted: admitted) { output in
                var event = Aigw_V1_StreamEvent()
                switch output {
                case .start(let provider, let model):
                    var start = Aigw_V1_StreamStart()
                    start.requestId = requestID
                    start.provider = WireMapping.provider(provider)
                    start.model = model
                    event.event = .start(start)
                case .delta(let text):
                    var delta = Aigw_V1_TextDelta()
                    delta.text = text
                    event.event = .delta(delta)
                }
                try await writer.send(event)
            }
        } catch {
            outcomes?.failed(error.error)
            log(error, context.logger)
            let cost = await charge(neutral, error, context.logger)
            await budgets?.release(hold)
            observe(error, cost: cost)
            if error.usage != .zero && error.error.code != .cancelled {
                var end = Aigw_V1_StreamEnd()
                end.usage = WireMapping.usage(error.usage)
                end.costNanoUsd = cost ?? 0
                end.attempts = error.attempts.map(WireMapping.attempt)
                var event = Aigw_V1_StreamEvent()
                event.event = .end(end)
                try? await writer.send(event)
            }
            throw error.error
        }
        await onAnswer(outcome.completion)
        var end = Aigw_V1_StreamEnd()
        end.finishReason = WireMapping.finishReason(outcome.completion.finishReason)
        end.usage = WireMapping.usage(outcome.completion.usage)
        end.id = outcome.completion.id
        end.attempts = outcome.attempts.map(WireMapping.attempt)
        end.costNanoUsd = await charge(neutral, outcome, context.logger) ?? 0
        await budgets?.release(hold)
        outcomes?.succeeded()
        observe(outcome, cost: end.costNanoUsd)
        var event = Aigw_V1_StreamEvent()
        event.event = .end(end)
        try await writer.send(event)
        log(outcome, context.logger)
    }

    /// A cache hit: recorded with the answer's original tokens and the cache-hit flag, at zero cost, so reports show
    /// what the cache saved.
    /// It costs nothing and so cannot move a budget: the record is written behind where the store allows, off the
    /// answer's path.
    private func charge(_ request: CompletionRequest, cached answer: CachedAnswer, _ context: CallContext) async {
        guard let tracker else { return }
        let entry = UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: answer.provider, model: answer.model, usage: answer.usage, cacheHit: true)
        do {
            _ = try await tracker.trackBehind(entry)
        } catch {
            context.logger.warning("usage not recorded", metadata: ["error": "\(error)", "model": "\(entry.model)"])
        }
    }

    /// Records an answered call's usage against the model that answered; returns its cost. Accounting never fails
    /// the call: a store error is logged and the answer still goes out.
    private func charge(_ request: CompletionRequest, _ outcome: CompletionOutcome, _ logger: Logger) async
        -> Int64?
    {
        await charge(UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: outcome.completion.provider, model: outcome.completion.model, usage: outcome.completion.usage),
            logger)
    }

    /// A call that failed after tokens were used (a stream cut or cancelled midway) is charged for what was seen,
    /// against the last model tried.
    @discardableResult
    private func charge(_ request: CompletionRequest, _ failure: CompletionFailure, _ logger: Logger) async
        -> Int64?
    {
        guard failure.usage != .zero, let last = failure.attempts.last else { return nil }
        return await charge(UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: last.provider, model: last.model, usage: failure.usage), logger)
    }

    @discardableResult
    private func charge(_ entry: UsageTracker.Entry, _ logger: Logger) async -> Int64? {
        guard let tracker else { return nil }
        do {
            return try await tracker.track(entry).record.costNanos
        } catch {
            logger.warning("usage not recorded", metadata: ["error": "\(error)", "model": "\(entry.model)"])
            return nil
        }
    }

    /// Reports an answered call's attempts: to Prometheus, and to the model window (each failed attempt as an error of
    /// its model, the answering attempt with its latency, tokens and the call's cost).
    private func observe(_ outcome: CompletionOutcome, cost: Int64) {
        metrics?.completion(outcome)
        guard let performance else { return }
        for attempt in outcome.attempts {
            if let error = attempt.error {
                if error.category != .cancelled {
                    performance.record(.init(model: attempt.model, failed: true, latencyMillis: attempt.latencyMillis))
                }
            } else {
                performance.record(.init(
                    model: attempt.model, failed: false, latencyMillis: attempt.latencyMillis,
                    firstTokenMillis: outcome.firstTokenMillis, outputTokens: outcome.completion.usage.output,
                    costNanos: cost))
            }
        }
    }

    /// Reports a failed call's attempts; what it was charged (a stream cut midway) goes to the last one.
    private func observe(_ failure: CompletionFailure, cost: Int64?) {
        metrics?.completion(failure)
        guard let performance else { return }
        for (i, attempt) in failure.attempts.enumerated() where attempt.error?.category != .cancelled {
            performance.record(.init(
                model: attempt.model, failed: true, latencyMillis: attempt.latencyMillis,
                costNanos: i == failure.attempts.count - 1 ? cost ?? 0 : 0))
        }
    }

    private func log(_ outcome: CompletionOutcome, _ logger: Logger) {
        logger.debug("completion answered", metadata: [
            "provider.name": "\(outcome.completion.provider)", "model": "\(outcome.completion.model)",
            "attempts": "\(outcome.attempts.count)", "latency_ms": "\(outcome.latencyMillis)",
            "usage": "\(outcome.completion.usage)",
        ])
    }

    private func log(_ failure: CompletionFailure, _ logger: Logger) {
        guard failure.error.code != .cancelled else { return }
        logger.info("completion failed", metadata: [
            "error": "\(failure.error)", "attempts": "\(failure.attempts.count)",
        ])
    }
}
