import GatewayCore

/// The pieces of Anthropic's Messages wire format that the translator and the stream decoder share: usage, stop
/// reasons and error classification.
enum AnthropicWire {
    /// A `usage` object's fields as sent; absent or `null` fields stay nil, so a stream's later usage only replaces
    /// what it carries.
    struct Usage {
        var input: UInt64?
        var output: UInt64?
        var cacheRead: UInt64?
        var cacheWrite: UInt64?

        /// `input_tokens` already excludes cached tokens, so it maps to `input` unchanged.
        func merged(into usage: TokenUsage) -> TokenUsage {
            TokenUsage(
                input: input ?? usage.input, cachedInput: cacheRead ?? usage.cachedInput,
                cacheWrite: cacheWrite ?? usage.cacheWrite, output: output ?? usage.output)
        }
    }

    static func readUsage(_ r: inout JSONReader) throws(JSONReaderError) -> Usage {
        var usage = Usage()
        if r.readNull() { return usage }
        try r.readObject { key, r throws(JSONReaderError) in
            switch key {
            case "input_tokens": usage.input = try r.readOptionalCount()
            case "output_tokens": usage.output = try r.readOptionalCount()
            case "cache_read_input_tokens": usage.cacheRead = try r.readOptionalCount()
            case "cache_creation_input_tokens": usage.cacheWrite = try r.readOptionalCount()
            default: break
            }
        }
        return usage
    }

    /// `stop_reason` → neutral; nil stays nil (not stopped yet).
    static func stopReason(_ raw: String?) -> FinishReason? {
        guard let raw else { return nil }
        switch raw {
        case "end_turn", "stop_sequence": return .stop
        case "max_tokens": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        default: return .other
        }
    }

    /// The category of an error object: its `type` decides; an unknown type falls back to the status (and to
    /// `.serverError` inside a stream, where there is none).
    static func category(_ body: UpstreamErrorBody, status: Int?) -> ProviderErrorCategory {
        switch body.type {
        case "invalid_request_error", "request_too_large": .invalidRequest
        case "authentication_error": .authentication
        case "permission_error": .permission
        case "not_found_error": .notFound
        case "rate_limit_error": .rateLimited
        case "billing_error": .quotaExhausted
        case "api_error": .serverError
        case "overloaded_error": .overloaded
        case "timeout_error": .timeout
        default: status.map(UpstreamErrorClassifier.category(forStatus:)) ?? .serverError
        }
    }

    static func error(
        _ body: UpstreamErrorBody, status: Int?, model: String, requestID: String? = nil, usage: TokenUsage = .zero
    ) -> ProviderError {
        ProviderError(
            category(body, status: status),
            UpstreamErrorClassifier.message(body.message, status: status, requestID: requestID ?? body.requestID),
            provider: .anthropic, model: model, httpStatus: status, upstreamCode: body.type, usage: usage)
    }

    /// The error object of a document shaped `{"type": "error", "error": {…}, "request_id": …}`, or nil when the body
    /// is not such JSON.
    static func readErrorDocument(_ body: [UInt8]) -> UpstreamErrorBody? {
        try? JSONReader.read(body) { r throws(JSONReaderError) -> UpstreamErrorBody? in
            guard try r.peekKind() == .object else { return nil }
            var found: UpstreamErrorBody?
            var requestID: String?
            try r.readObject { key, r throws(JSONReaderError) in
                switch key {
                case "error": found = try UpstreamErrorBody.read(&r)
                case "request_id": requestID = try r.readScalarText()
                default: break
                }
            }
            found?.requestID = requestID
            return found
        } ?? nil
    }

    static func malformed(_ what: String, _ error: JSONReaderError, model: String, code: String, usage: TokenUsage)
        -> ProviderError
    {
        ProviderError(
            .serverError, "unreadable \(what): \(error)", provider: .anthropic, model: model, upstreamCode: code,
            usage: usage)
    }
}
