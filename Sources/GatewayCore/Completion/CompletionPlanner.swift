/// The retry-and-fallback state machine for one request: which provider and model to try next, after how long, or
/// that the request has failed for good. A plain struct that returns actions, so every path is tested without I/O.
///
/// Order: the requested model with up to `maxRetries` retries for retryable errors, then its fallback chain (the
/// request's own, else the catalog's), then, when the request allows it, the other provider's counterparts of those
/// models. A model is left early for errors that say the model or provider is the problem (see
/// `ProviderErrorCategory.allowsModelFallback`); an error about the request itself (invalid request, cancelled) ends
/// the plan at once because no other model would do better.
public struct CompletionPlanner: Sendable {
    public struct Candidate: Sendable, Hashable, CustomStringConvertible {
        public var provider: ProviderKind
        public var model: String

        public init(provider: ProviderKind, model: String) {
            self.provider = provider
            self.model = model
        }

        public var description: String { "\(provider)/\(model)" }
    }

    public enum Action: Sendable, Hashable {
        /// Call this candidate after waiting `afterMillis` (0 for the first try of a candidate).
        case attempt(Candidate, afterMillis: Int64)
        case fail(ProviderError)
    }

    public let candidates: [Candidate]
    public let retryPolicy: RetryPolicy
    private var index = 0
    private var retries = 0

    /// `isAvailable` says whether a provider is configured and enabled; candidates of other providers are dropped.
    public init(
        request: CompletionRequest, catalog: ModelCatalog, retryPolicy: RetryPolicy,
        isAvailable: (ProviderKind) -> Bool
    ) {
        let primaryModel = catalog.resolve(request.model)
        let primaryProvider = request.provider ?? catalog.provider(for: primaryModel) ?? .openai
        var list = [Candidate(provider: primaryProvider, model: primaryModel)]
        let chain = request.fallbackModels.isEmpty ? (catalog.fallbacks[primaryModel] ?? []) : request.fallbackModels
        for name in chain {
            let model = catalog.resolve(name)
            list.append(Candidate(provider: catalog.provider(for: model) ?? primaryProvider, model: model))
        }
        if request.allowCrossProviderFallback {
            for candidate in list {
                if let other = catalog.counterparts[candidate.model],
                    let provider = catalog.provider(for: other), provider != candidate.provider
                {
                    list.append(Candidate(provider: provider, model: other))
                }
            }
        }
        var seen = Set<Candidate>()
        candidates = list.filter { isAvailable($0.provider) && seen.insert($0).inserted }
        self.retryPolicy = retryPolicy
    }

    public var current: Candidate? { index < candidates.count ? candidates[index] : nil }

    /// The first action; `.fail` with `unavailable` when no candidate's provider is available.
    public func start(for request: CompletionRequest) -> Action {
        if let first = candidates.first { return .attempt(first, afterMillis: 0) }
        let provider = request.provider ?? .openai
        return .fail(
            ProviderError(
                .notFound, "no enabled provider can serve model \(request.model) or its fallbacks",
                provider: provider, model: request.model))
    }

    /// What to do after the current candidate failed with `error`. `unitRandom` in [0, 1) drives the jitter.
    public mutating func next(after error: ProviderError, unitRandom: Double) -> Action {
        guard let failed = current else { return .fail(error) }
        if let delay = retryPolicy.delayMillis(beforeRetry: retries + 1, after: error, unitRandom: unitRandom) {
            retries += 1
            return .attempt(failed, afterMillis: delay)
        }
        var i = index + 1
        while i < candidates.count {
            let candidate = candidates[i]
            let allowed =
                candidate.provider == failed.provider
                ? error.category.allowsModelFallback && error.category != .quotaExhausted
                : error.category.allowsProviderFallback
            if allowed {
                index = i
                retries = 0
                return .attempt(candidate, afterMillis: 0)
            }
            if !error.category.allowsProviderFallback { break }
            i += 1
        }
        index = candidates.count
        return .fail(error)
    }
}
