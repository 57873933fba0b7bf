import GatewayCore
import Testing

@Suite("Retry policy and fallback planning")
struct CompletionPlannerTests {
    private func error(
        _ category: ProviderErrorCategory, _ provider: ProviderKind = .openai, model: String = "gpt-4o",
        retryAfter: Int64? = nil, shouldRetry: Bool? = nil
    ) -> ProviderError {
        ProviderError(
            category, "boom", provider: provider, model: model, retryAfterMillis: retryAfter, shouldRetry: shouldRetry)
    }

    private func planner(_ request: CompletionRequest, policy: RetryPolicy = RetryPolicy(), available: Set<ProviderKind> = [.openai, .anthropic])
        -> CompletionPlanner
    {
        CompletionPlanner(request: request, catalog: .productDefaults, retryPolicy: policy, isAvailable: { available.contains($0) })
    }

    private func candidate(_ provider: ProviderKind, _ model: String) -> CompletionPlanner.Candidate {
        .init(provider: provider, model: model)
    }

    @Test func fullJitterStaysUnderTheExponentialCeiling() {
        let policy = RetryPolicy(maxRetries: 5, baseDelayMillis: 500, maxDelayMillis: 8_000)
        #expect((1...6).map { policy.ceilingMillis(retry: $0) } == [500, 1_000, 2_000, 4_000, 8_000, 8_000])
        let e = error(.serverError)
        #expect(policy.delayMillis(beforeRetry: 1, after: e, unitRandom: 0) == 0)
        #expect(policy.delayMillis(beforeRetry: 1, after: e, unitRandom: 0.5) == 250)
        #expect(policy.delayMillis(beforeRetry: 3, after: e, unitRandom: 0.999) == 1_998)
        #expect(policy.delayMillis(beforeRetry: 6, after: e, unitRandom: 0.5) == nil, "past maxRetries")
        #expect(RetryPolicy(baseDelayMillis: 1 << 40).ceilingMillis(retry: 40) == 8_000, "no overflow")
    }

    @Test func upstreamHintsWinOverTheBackoff() {
        let policy = RetryPolicy()
        #expect(policy.delayMillis(beforeRetry: 1, after: error(.rateLimited, retryAfter: 1_500), unitRandom: 0.9) == 1_500)
        #expect(policy.delayMillis(beforeRetry: 1, after: error(.rateLimited, retryAfter: 120_000), unitRandom: 0) == nil)
        #expect(policy.delayMillis(beforeRetry: 1, after: error(.serverError, shouldRetry: false), unitRandom: 0) == nil)
        #expect(policy.delayMillis(beforeRetry: 1, after: error(.invalidRequest, shouldRetry: true), unitRandom: 0) == 0)
        #expect(policy.delayMillis(beforeRetry: 1, after: error(.quotaExhausted, shouldRetry: true), unitRandom: 0) == nil,
                "exhausted quota is never retried")
    }

    @Test func onlyTheRetryableCategoriesRetry() {
        let retryable: Set<ProviderErrorCategory> = [.rateLimited, .overloaded, .serverError, .timeout, .network]
        for category in ProviderErrorCategory.allCases {
            #expect(category.isRetryable == retryable.contains(category), "\(category)")
        }
    }

    @Test func categoriesMapToStatusCodes() {
        #expect(ProviderErrorCategory.authentication.gatewayCode == .failedPrecondition)
        #expect(ProviderErrorCategory.invalidRequest.gatewayCode == .invalidArgument)
        #expect(ProviderErrorCategory.rateLimited.gatewayCode == .resourceExhausted)
        #expect(ProviderErrorCategory.quotaExhausted.gatewayCode == .resourceExhausted)
        #expect(ProviderErrorCategory.overloaded.gatewayCode == .unavailable)
        #expect(ProviderErrorCategory.timeout.gatewayCode == .deadlineExceeded)
        #expect(ProviderErrorCategory.cancelled.gatewayCode == .cancelled)
        let e = error(.quotaExhausted).gatewayError
        #expect(e.reason == "upstream_quota_exhausted")
        #expect((e.cause as? ProviderError)?.category == .quotaExhausted)
    }

    @Test func plansTheModelThenItsCheaperFallbacks() {
        var p = planner(CompletionRequest(model: "gpt-4o", messages: []), policy: RetryPolicy(maxRetries: 1))
        #expect(p.candidates == [candidate(.openai, "gpt-4o"), candidate(.openai, "gpt-4o-mini")])
        #expect(p.start(for: .init(model: "gpt-4o", messages: [])) == .attempt(candidate(.openai, "gpt-4o"), afterMillis: 0))
        #expect(p.next(after: error(.serverError), unitRandom: 0.5) == .attempt(candidate(.openai, "gpt-4o"), afterMillis: 250))
        #expect(p.next(after: error(.serverError), unitRandom: 0.5) == .attempt(candidate(.openai, "gpt-4o-mini"), afterMillis: 0))
        #expect(p.next(after: error(.serverError), unitRandom: 0.5) == .attempt(candidate(.openai, "gpt-4o-mini"), afterMillis: 250))
        let last = error(.overloaded, model: "gpt-4o-mini")
        #expect(p.next(after: last, unitRandom: 0.5) == .fail(last))
    }

    @Test func aliasesResolveAndAnthropicFallsBackToHaiku() {
        let p = planner(CompletionRequest(model: "claude-3-5-sonnet", messages: []))
        #expect(p.candidates == [
            candidate(.anthropic, "claude-3-5-sonnet-20241022"), candidate(.anthropic, "claude-3-5-haiku-20241022"),
        ])
    }

    @Test func requestChainReplacesTheCatalogChainAndCrossProviderAppendsCounterparts() {
        let request = CompletionRequest(
            model: "gpt-4o", fallbackModels: ["gpt-3.5-turbo"], messages: [], allowCrossProviderFallback: true)
        let p = planner(request)
        #expect(p.candidates == [
            candidate(.openai, "gpt-4o"), candidate(.openai, "gpt-3.5-turbo"),
            candidate(.anthropic, "claude-3-5-sonnet-20241022"), candidate(.anthropic, "claude-3-haiku-20240307"),
        ])
        let onlyAnthropic = planner(request, available: [.anthropic])
        #expect(onlyAnthropic.candidates.map(\.provider) == [.anthropic, .anthropic])
    }

    @Test func invalidRequestsFailAtOnce() {
        var p = planner(CompletionRequest(model: "gpt-4o", messages: [], allowCrossProviderFallback: true))
        let e = error(.invalidRequest)
        #expect(p.next(after: e, unitRandom: 0) == .fail(e))
        #expect(p.current == nil)
    }

    @Test func quotaAndAuthenticationSkipToTheOtherProvider() {
        for category in [ProviderErrorCategory.quotaExhausted, .authentication] {
            var p = planner(CompletionRequest(model: "gpt-4o", messages: [], allowCrossProviderFallback: true))
            #expect(p.next(after: error(category), unitRandom: 0) == .attempt(candidate(.anthropic, "claude-3-5-sonnet-20241022"), afterMillis: 0), "\(category)")
        }
        var sameProviderOnly = planner(CompletionRequest(model: "gpt-4o", messages: []))
        let e = error(.quotaExhausted)
        #expect(sameProviderOnly.next(after: e, unitRandom: 0) == .fail(e), "a cheaper model on the same account has no quota either")
    }

    @Test func notFoundFallsBackWithoutRetrying() {
        var p = planner(CompletionRequest(model: "gpt-4o", messages: []))
        #expect(p.next(after: error(.notFound), unitRandom: 0) == .attempt(candidate(.openai, "gpt-4o-mini"), afterMillis: 0))
    }

    @Test func noAvailableProviderFailsBeforeAnyAttempt() {
        let request = CompletionRequest(model: "claude-3-5-haiku", messages: [])
        let p = planner(request, available: [.openai])
        guard case .fail(let e) = p.start(for: request) else { Issue.record("expected failure"); return }
        #expect(e.category == .notFound)
    }
}
