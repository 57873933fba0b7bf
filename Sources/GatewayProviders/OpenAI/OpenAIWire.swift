import GatewayCore

/// The pieces of OpenAI's Chat Completions wire format that the translator and the stream decoder share: usage,
/// finish reasons and error classification.
enum OpenAIWire {
    /// `finish_reason` → neutral; nil stays nil (a chunk that has not finished).
    static func finishReason(_ raw: String?) -> FinishReason? {
        guard let raw else { return nil }
        switch raw {
        case "stop": return .stop
        case "length": return .length
        case "content_filter": return .contentFilter
        case "tool_calls", "function_call": return .toolCalls
        default: return .other
        }
    }

    /// Reads a `usage` object, or nil for `null`. `prompt_tokens` includes the cached tokens, so they are taken out
    /// of `input`: aigw's `input` counts only uncached prompt tokens.
    static func readUsage(_ r: inout JSONReader) throws(JSONReaderError) -> TokenUsage? {
        if r.readNull() { return nil }
        var prompt: UInt64 = 0
        var cached: UInt64 = 0
        var completion: UInt64 = 0
        try r.readObject { key, r throws(JSONReaderError) in
            switch key {
            case "prompt_tokens": prompt = try r.readOptionalCount() ?? 0
            case "completion_tokens": completion = try r.readOptionalCount() ?? 0
            case "prompt_tokens_details":
                if r.readNull() { return }
                try r.readObject { key, r throws(JSONReaderError) in
                    if key == "cached_tokens" { cached = try r.readOptionalCount() ?? 0 }
                }
            default: break
            }
        }
        let cachedInput = min(cached, prompt)
        return TokenUsage(input: prompt - cachedInput, cachedInput: cachedInput, output: completion)
    }

    /// The category of an error object. `insufficient_quota` is quota whatever the status; otherwise the status
    /// decides, and without one (an error inside a stream) the type and code do.
    static func category(_ body: UpstreamErrorBody, status: Int?) -> ProviderErrorCategory {
        if body.type == "insufficient_quota" || body.code == "insufficient_quota" { return .quotaExhausted }
        if let status { return UpstreamErrorClassifier.category(forStatus: status) }
        for name in [body.code, body.type] {
            switch name {
            case "rate_limit_exceeded", "rate_limit_error", "requests", "tokens": return .rateLimited
            case "overloaded", "overloaded_error", "engine_overloaded", "service_unavailable": return .overloaded
            case "server_error", "api_error", "internal_error": return .serverError
            case "invalid_request_error", "context_length_exceeded", "invalid_prompt": return .invalidRequest
            case "invalid_api_key", "authentication_error": return .authentication
            case "permission_error", "permission_denied", "unsupported_country_region_territory": return .permission
            case "model_not_found", "not_found_error": return .notFound
            case "timeout", "request_timeout": return .timeout
            default: continue
            }
        }
        return .serverError
    }

    /// The classified error for an error object; `upstreamCode` is the code when there is one, else the type.
    static func error(
        _ body: UpstreamErrorBody, status: Int?, model: String, requestID: String? = nil, usage: TokenUsage = .zero
    ) -> ProviderError {
        ProviderError(
            category(body, status: status),
            UpstreamErrorClassifier.message(body.message, status: status, requestID: requestID),
            provider: .openai, model: model, httpStatus: status, upstreamCode: body.code ?? body.type, usage: usage)
    }

    /// The error object of a document shaped `{"error": …}`, or nil when the body is not such JSON.
    static func readErrorDocument(_ body: [UInt8]) -> UpstreamErrorBody? {
        try? JSONReader.read(body) { r throws(JSONReaderError) -> UpstreamErrorBody? in
            guard try r.peekKind() == .object else { return nil }
            var found: UpstreamErrorBody?
            try r.readObject { key, r throws(JSONReaderError) in
                if key == "error" { found = try UpstreamErrorBody.read(&r) }
            }
            return found
        } ?? nil
    }

    /// A ProviderError for a body or chunk that could not be read.
    static func malformed(_ what: String, _ error: JSONReaderError, model: String, code: String, usage: TokenUsage)
        -> ProviderError
    {
        ProviderError(
            .serverError, "unreadable \(what): \(error)", provider: .openai, model: model, upstreamCode: code,
            usage: usage)
    }
}
