import GatewayCore
import GatewayWire
import Logging

/// Complete and Stream on the Gateway service, over Core's `CompletionService` and, when enabled, the response cache.
///
/// With the cache, the rate limit is checked first (a hit is still a request against the caller's limit), then the
/// cache is consulted: a hit (or the answer of an identical request in flight) is answered at once, recorded as usage
/// with the cache-hit flag at zero cost, and reserves no budget; a miss goes upstream as before and its answer is
/// stored. A cache failure is a miss, never an error.
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
        guard let cache else { return try await completeUpstream(neutral, requestID, context, admitted: false) }
        try await admit(neutral)
        let key = cache.key(for: neutral)
        switch try await resolve(key, control, cache) {
        case .hit(let answer), .shared(let answer):
            await charge(neutral, cached: answer, context)
            return WireMapping.completeResponse(cached: answer, requestID: requestID)
        case .lead(let flight):
            do {
                return try await completeUpstream(neutral, requestID, context, admitted: true) {
                    await cache.finish(flight, with: $0)
                }
            } catch {
                cache.abandon(flight)
                throw error
            }
        case .alone:
            return try await completeUpstream(neutral, requestID, context, admitted: true) {
                await cache.store(key, $0, control: control)
            }
        }
    }

    private func completeUpstream(
        _ neutral: CompletionRequest, _ requestID: String, _ context: CallContext, admitted: Bool,
        onAnswer: (Completion) async -> Void = { _ in }
    ) async throws -> Aigw_V1_CompleteResponse {
        let hold = try await budgets?.reserve(for: neutral) ?? .none
        do {
            let outcome = try await service.complete(neutral, admitted: admitted)
            await onAnswer(outcome.completion)
            log(outcome, context)
            var response = WireMapping.completeResponse(outcome, requestID: requestID)
            response.costNanoUsd = await charge(neutral, outcome, context) ?? 0
            await budgets?.release(hold)
            return response
        } catch {
            log(error, context)
            await charge(neutral, error, context)
            await budgets?.release(hold)
            throw error.error
        }
    }

    /// The rate-limit check (and validation) ahead of the cache lookup.
    private func admit(_ neutral: CompletionRequest) async throws {
        do {
            try await service.admit(neutral)
        } catch {
            throw error.error
        }
    }

    private func resolve(_ key: CacheKey, _ control: CacheControl, _ cache: ResponseCache) async throws
        -> ResponseCache.Resolution
    {
        do {
            return try await cache.resolve(key, control: control)
        } catch {
            throw GatewayError(.cancelled, "cancelled while waiting for an identical request", cause: error)
        }
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
        try await admit(neutral)
        let key = cache.key(for: neutral)
        switch try await resolve(key, control, cache) {
        case .hit(let answer), .shared(let answer):
            try await replay(answer, neutral, requestID, context, writer)
        case .lead(let flight):
            do {
                try await streamUpstream(neutral, requestID, context, writer, admitted: true) {
                    await cache.finish(flight, with: $0)
                }
            } catch {
                cache.abandon(flight)
                throw error
            }
        case .alone:
            try await streamUpstream(neutral, requestID, context, writer, admitted: true) {
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
            log(error, context)
            let cost = await charge(neutral, error, context)
            await budgets?.release(hold)
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
        end.costNanoUsd = await charge(neutral, outcome, context) ?? 0
        await budgets?.release(hold)
        var event = Aigw_V1_StreamEvent()
        event.event = .end(end)
        try await writer.send(event)
        log(outcome, context)
    }

    /// A cache hit: recorded with the answer's original tokens and the cache-hit flag, at zero cost, so reports show
    /// what the cache saved.
    private func charge(_ request: CompletionRequest, cached answer: CachedAnswer, _ context: CallContext) async {
        await charge(UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: answer.provider, model: answer.model, usage: answer.usage, cacheHit: true), context)
    }

    /// Records an answered call's usage against the model that answered; returns its cost. Accounting never fails
    /// the call: a store error is logged and the answer still goes out.
    private func charge(_ request: CompletionRequest, _ outcome: CompletionOutcome, _ context: CallContext) async
        -> Int64?
    {
        await charge(UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: outcome.completion.provider, model: outcome.completion.model, usage: outcome.completion.usage),
            context)
    }

    /// A call that failed after tokens were used (a stream cut or cancelled midway) is charged for what was seen,
    /// against the last model tried.
    @discardableResult
    private func charge(_ request: CompletionRequest, _ failure: CompletionFailure, _ context: CallContext) async
        -> Int64?
    {
        guard failure.usage != .zero, let last = failure.attempts.last else { return nil }
        return await charge(UsageTracker.Entry(
            requestID: request.requestID, userID: request.userID, orgID: request.orgID, endpoint: request.endpoint,
            provider: last.provider, model: last.model, usage: failure.usage), context)
    }

    @discardableResult
    private func charge(_ entry: UsageTracker.Entry, _ context: CallContext) async -> Int64? {
        guard let tracker else { return nil }
        do {
            return try await tracker.track(entry).record.costNanos
        } catch {
            context.logger.warning("usage not recorded", metadata: ["error": "\(error)", "model": "\(entry.model)"])
            return nil
        }
    }

    private func log(_ outcome: CompletionOutcome, _ context: CallContext) {
        context.logger.debug("completion answered", metadata: [
            "provider.name": "\(outcome.completion.provider)", "model": "\(outcome.completion.model)",
            "attempts": "\(outcome.attempts.count)", "latency_ms": "\(outcome.latencyMillis)",
            "usage": "\(outcome.completion.usage)",
        ])
    }

    private func log(_ failure: CompletionFailure, _ context: CallContext) {
        guard failure.error.code != .cancelled else { return }
        context.logger.info("completion failed", metadata: [
            "error": "\(failure.error)", "attempts": "\(failure.attempts.count)",
        ])
    }
}
