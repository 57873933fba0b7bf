import GatewayCore
import GatewayWire

/// The seam between wire messages and Core's domain types: every enum that crosses it is mapped here, once.
enum WireMapping {
    /// The inverse of `endpoint(_: Endpoint)`, so the two directions cannot disagree; nil for unspecified or unknown.
    static func endpoint(_ e: Aigw_V1_Endpoint) -> Endpoint? {
        Endpoint.allCases.first { endpoint($0) == e }
    }

    /// The endpoint a call must name; INVALID_ARGUMENT when it is unspecified or unknown.
    static func requiredEndpoint(_ e: Aigw_V1_Endpoint) throws -> Endpoint {
        guard let endpoint = endpoint(e) else {
            throw GatewayError(.invalidArgument, "endpoint must be one of summarize, search, chat, embeddings, translation",
                               reason: "invalid_endpoint")
        }
        return endpoint
    }

    static func endpoint(_ e: Endpoint) -> Aigw_V1_Endpoint {
        switch e {
        case .summarize: .summarize
        case .search: .search
        case .chat: .chat
        case .embeddings: .embeddings
        case .translation: .translation
        }
    }

    static func level(_ l: LimitLevel) -> Aigw_V1_LimitLevel {
        switch l {
        case .user: .user
        case .org: .org
        case .endpoint: .endpoint
        }
    }

    static func algorithm(_ a: LimitAlgorithm) -> Aigw_V1_LimitAlgorithm {
        switch a {
        case .tokenBucket: .tokenBucket
        case .slidingWindow: .slidingWindow
        }
    }

    static func limitStatus(_ s: LimitStatus) -> Aigw_V1_LimitStatus {
        var out = Aigw_V1_LimitStatus()
        out.level = level(s.key.level)
        out.subject = s.key.subject
        out.endpoint = endpoint(s.key.endpoint)
        out.algorithm = algorithm(s.rule.algorithm)
        out.limit = s.rule.limit
        out.remaining = s.evaluation.remaining
        out.windowMs = UInt64(s.rule.windowMillis)
        out.burst = s.rule.burst
        out.resetAtUnixMs = s.evaluation.resetAt
        out.shadow = s.rule.shadow
        return out
    }

    // MARK: Completions

    /// A Complete or Stream request in Core's terms; INVALID_ARGUMENT for what no provider could serve.
    static func completionRequest(_ r: Aigw_V1_CompleteRequest, requestID: String) throws -> CompletionRequest {
        guard let caller = r.caller, !caller.userId.isEmpty || !caller.orgId.isEmpty else {
            throw GatewayError(.invalidArgument, "caller with a user id or an org id is required", reason: "missing_caller")
        }
        let endpoint = try requiredEndpoint(caller.endpoint)
        let provider = try Self.provider(r.provider)
        let messages = try r.messages.enumerated().map { index, m in
            let role: ChatMessage.Role
            switch m.role {
            case .system: role = .system
            case .user: role = .user
            case .assistant: role = .assistant
            case .tool: role = .tool
            case .unspecified, .unrecognized:
                throw GatewayError(.invalidArgument, "messages[\(index)] needs a role", reason: "invalid_role")
            }
            return ChatMessage(role: role, content: m.content, name: m.name.isEmpty ? nil : m.name)
        }
        if let t = r.temperature, !(0...2).contains(t) {
            throw GatewayError(.invalidArgument, "temperature must be between 0 and 2", reason: "invalid_temperature")
        }
        if let p = r.topP, !(0...1).contains(p) {
            throw GatewayError(.invalidArgument, "top_p must be between 0 and 1", reason: "invalid_top_p")
        }
        if r.maxTokens == 0 {
            throw GatewayError(.invalidArgument, "max_tokens must be positive when set", reason: "invalid_max_tokens")
        }
        let format: CompletionRequest.ResponseFormat
        switch r.responseFormat {
        case .unspecified, .text: format = .text
        case .jsonObject: format = .jsonObject
        case .unrecognized(let v):
            throw GatewayError(.invalidArgument, "unknown response format \(v)", reason: "invalid_response_format")
        }
        return CompletionRequest(
            requestID: requestID, userID: caller.userId, orgID: caller.orgId, endpoint: endpoint, provider: provider,
            model: r.model, fallbackModels: r.fallbackModels, systemPrompt: r.systemPrompt.isEmpty ? nil : r.systemPrompt,
            messages: messages, temperature: r.temperature, topP: r.topP, maxTokens: r.maxTokens.map(Int.init),
            stop: r.stop, responseFormat: format, allowCrossProviderFallback: r.allowCrossProviderFallback)
    }

    /// A request's cache controls; INVALID_ARGUMENT for a TTL beyond `CacheControl.maxTTLSeconds`.
    static func cacheControl(_ c: Aigw_V1_CacheControl?) throws -> CacheControl {
        guard let c else { return .default }
        if let ttl = c.ttlSeconds, ttl > CacheControl.maxTTLSeconds {
            throw GatewayError(.invalidArgument, "cache.ttl_seconds must be at most \(CacheControl.maxTTLSeconds)",
                               reason: "invalid_cache_ttl")
        }
        return CacheControl(bypass: c.bypass, noStore: c.noStore, ttlSeconds: c.ttlSeconds)
    }

    /// A cached answer as a Complete response: the original usage, no cost, no attempts.
    static func completeResponse(cached a: CachedAnswer, requestID: String) -> Aigw_V1_CompleteResponse {
        var out = Aigw_V1_CompleteResponse()
        out.requestId = requestID
        out.id = a.id
        out.provider = provider(a.provider)
        out.model = a.model
        out.content = a.content
        out.finishReason = finishReason(a.finishReason)
        out.usage = usage(a.usage)
        out.cacheHit = true
        return out
    }

    static func provider(_ p: ProviderKind) -> Aigw_V1_Provider { RPCError.provider(p) }

    static func usage(_ u: TokenUsage) -> Aigw_V1_Usage {
        var out = Aigw_V1_Usage()
        out.inputTokens = u.input
        out.cachedInputTokens = u.cachedInput
        out.cacheWriteTokens = u.cacheWrite
        out.outputTokens = u.output
        return out
    }

    static func finishReason(_ f: FinishReason) -> Aigw_V1_FinishReason {
        switch f {
        case .stop: .stop
        case .length: .length
        case .contentFilter: .contentFilter
        case .toolCalls: .toolCalls
        case .cancelled: .cancelled
        case .other: .unspecified
        }
    }

    static func attempt(_ a: AttemptRecord) -> Aigw_V1_Attempt {
        var out = Aigw_V1_Attempt()
        out.provider = provider(a.provider)
        out.model = a.model
        out.latencyMs = a.latencyMillis
        if let error = a.error {
            out.statusCode = RPCError(error.gatewayError).code.rawValue
            out.errorCategory = RPCError.category(error.category)
            out.errorMessage = error.message
        }
        return out
    }

    static func completeResponse(_ o: CompletionOutcome, requestID: String) -> Aigw_V1_CompleteResponse {
        var out = Aigw_V1_CompleteResponse()
        out.requestId = requestID
        out.id = o.completion.id
        out.provider = provider(o.completion.provider)
        out.model = o.completion.model
        out.content = o.completion.content
        out.finishReason = finishReason(o.completion.finishReason)
        out.usage = usage(o.completion.usage)
        out.fallbackUsed = o.fallbackUsed
        out.attempts = o.attempts.map(attempt)
        out.latencyMs = o.latencyMillis
        return out
    }

    // MARK: Usage

    /// A wire provider, nil for unspecified; INVALID_ARGUMENT for an unknown value.
    static func provider(_ p: Aigw_V1_Provider) throws -> ProviderKind? {
        switch p {
        case .unspecified: return nil
        case .openai: return .openai
        case .anthropic: return .anthropic
        case .unrecognized(let v):
            throw GatewayError(.invalidArgument, "unknown provider \(v)", reason: "invalid_provider")
        }
    }

    static func usageTotals(_ t: UsageTotals, key: String) -> Aigw_V1_UsageTotals {
        var out = Aigw_V1_UsageTotals()
        out.key = key
        out.requests = t.requests
        out.usage = usage(t.usage)
        out.costNanoUsd = t.costNanos
        out.cacheHits = t.cacheHits
        return out
    }

    /// nil for unspecified, which each RPC defaults (or refuses) itself.
    static func period(_ period: Aigw_V1_Period) throws(GatewayError) -> UsagePeriod? {
        switch period {
        case .unspecified: nil
        case .daily: .daily
        case .weekly: .weekly
        case .monthly: .monthly
        case .unrecognized(let v): throw GatewayError(.invalidArgument, "unknown period \(v)", reason: "invalid_period")
        }
    }

    static func period(_ period: UsagePeriod) -> Aigw_V1_Period {
        switch period {
        case .daily: .daily
        case .weekly: .weekly
        case .monthly: .monthly
        }
    }
}

extension WireMapping {
    /// A model's window statistics; percentiles without samples are 0 on the wire.
    static func modelStats(_ s: ModelPerformance.Stats) -> Aigw_V1_ModelStats {
        var m = Aigw_V1_ModelStats()
        m.model = s.model
        m.requests = s.requests
        m.errors = s.errors
        m.errorRate = s.errorRate
        m.latencyP50Ms = s.latencyP50Millis ?? 0
        m.latencyP95Ms = s.latencyP95Millis ?? 0
        m.firstTokenP50Ms = s.firstTokenP50Millis ?? 0
        m.firstTokenP95Ms = s.firstTokenP95Millis ?? 0
        m.outputTokensPerSecond = s.outputTokensPerSecond
        m.costPerRequestNanoUsd = s.costPerRequestNanos
        m.totalCostNanoUsd = s.totalCostNanos
        return m
    }
}
