import Foundation

/// OpenAI's chat-completions wire shapes, as the real API sends them.
struct OpenAIWire: WireFormat {
    var requestIDHeader: String { "x-request-id" }
    var extraHeaders: [(String, String)] { [("openai-version", "2020-10-01"), ("openai-processing-ms", "1")] }
    var midStreamFailure: (status: Int, error: FakeError) { (500, FakeError(kind: .server)) }

    func newRequestID() -> String { "req_" + RandomID.hex(32) }

    /// `{"error":{"message":..,"type":..,"param":..,"code":..}}`. An empty ``FakeError/code`` renders as `null`.
    func errorBody(status: Int, error: FakeError, param: String?, model: String?) -> JSONValue {
        let fields = defaults(for: error.resolvedKind(status: status), model: model)
        let code = error.code.map { $0.isEmpty ? nil : $0 } ?? fields.code
        return .object([
            "error": .object([
                "message": .string(error.message ?? fields.message),
                "type": .string(error.type ?? fields.type),
                "param": .string(param ?? fields.param),
                "code": .string(code),
            ])
        ])
    }

    private func defaults(
        for kind: FakeError.Kind,
        model: String?
    )
        -> (type: String, code: String?, param: String?, message: String)
    {
        let model = model ?? "gpt-4o"
        switch kind {
        case .automatic, .invalidRequest:
            return ("invalid_request_error", nil, nil, "Invalid request.")
        case .contextLength:
            return (
                "invalid_request_error", "context_length_exceeded", "messages",
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 200001 "
                    + "tokens. Please reduce the length of the messages."
            )
        case .authentication:
            return (
                "invalid_request_error", "invalid_api_key", nil,
                "Incorrect API key provided: sk-fake*************1234. You can find your API key at "
                    + "https://platform.openai.com/account/api-keys."
            )
        case .permission:
            return (
                "request_forbidden", "unsupported_country_region_territory", nil,
                "Country, region, or territory not supported"
            )
        case .notFound:
            return (
                "invalid_request_error", "model_not_found", nil,
                "The model `\(model)` does not exist or you do not have access to it."
            )
        case .rateLimit:
            return (
                "requests", "rate_limit_exceeded", nil,
                "Rate limit reached for \(model) in organization org-fake on requests per min (RPM): Limit 3, Used 3, "
                    + "Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to "
                    + "learn more."
            )
        case .quota:
            return (
                "insufficient_quota", "insufficient_quota", nil,
                "You exceeded your current quota, please check your plan and billing details. For more information on "
                    + "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
            )
        case .server:
            return (
                "server_error", nil, nil,
                "The server had an error while processing your request. Sorry about that!"
            )
        case .unavailable:
            return ("server_error", "service_unavailable", nil, "The server is overloaded or not ready yet.")
        case .overloaded:
            return ("server_error", nil, nil, "The engine is currently overloaded, please try again later.")
        }
    }

    /// `prompt_tokens` includes cached tokens; cache writes have no OpenAI counterpart and are left out.
    func usage(_ reply: FakeReply) -> JSONValue {
        let prompt = reply.inputTokens + reply.cachedInputTokens
        return .object([
            "prompt_tokens": .int(prompt),
            "completion_tokens": .int(reply.outputTokens),
            "total_tokens": .int(prompt + reply.outputTokens),
            "prompt_tokens_details": .object(["cached_tokens": .int(reply.cachedInputTokens), "audio_tokens": .int(0)]),
            "completion_tokens_details": .object([
                "reasoning_tokens": .int(0), "audio_tokens": .int(0), "accepted_prediction_tokens": .int(0),
                "rejected_prediction_tokens": .int(0),
            ]),
        ])
    }

    func completion(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> JSONValue {
        .object([
            "id": .string("chatcmpl-" + RandomID.alphanumeric(29)),
            "object": .string("chat.completion"),
            "created": .int(Self.now()),
            "model": .string(request.model),
            "choices": .array([
                .object([
                    "index": .int(0),
                    "message": .object([
                        "role": .string("assistant"), "content": .string(reply.text), "refusal": .null,
                        "annotations": .array([]),
                    ]),
                    "logprobs": .null,
                    "finish_reason": .string(truncated ? "length" : "stop"),
                ])
            ]),
            "usage": usage(reply),
            "service_tier": .string("default"),
            "system_fingerprint": .string("fp_fake0001"),
        ])
    }

    /// `data:` chunks: role, one per piece, finish reason, usage (only with `stream_options.include_usage`; then the
    /// other chunks carry `"usage":null` as the real API's do), `[DONE]`.
    func streamScript(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> StreamScript {
        let id = "chatcmpl-" + RandomID.alphanumeric(29)
        let created = Self.now()
        func chunk(_ choices: [JSONValue], usage: JSONValue? = nil) -> SSEEvent {
            var members: [JSONValue.Member] = [
                .init(key: "id", value: .string(id)),
                .init(key: "object", value: .string("chat.completion.chunk")),
                .init(key: "created", value: .int(created)),
                .init(key: "model", value: .string(request.model)),
                .init(key: "service_tier", value: .string("default")),
                .init(key: "system_fingerprint", value: .string("fp_fake0001")),
                .init(key: "choices", value: .array(choices)),
            ]
            if request.includeUsage { members.append(.init(key: "usage", value: usage ?? .null)) }
            return SSEEvent(json: .object(members))
        }
        func choice(_ delta: JSONValue, finish: String? = nil) -> JSONValue {
            .object(["index": .int(0), "delta": delta, "logprobs": .null, "finish_reason": .string(finish)])
        }
        var closing = [chunk([choice(.object([:]), finish: truncated ? "length" : "stop")])]
        if request.includeUsage { closing.append(chunk([], usage: usage(reply))) }
        let brokenChunk = chunk([choice(.object(["content": .string("(this chunk is cut off)")]))]).data
        return StreamScript(
            preamble: [chunk([choice(.object(["role": .string("assistant"), "content": .string("")]))])],
            pieces: reply.pieces.map { chunk([choice(.object(["content": .string($0)]))]) },
            closing: closing,
            terminal: SSEEvent(data: "[DONE]"),
            malformed: SSEEvent(data: String(brokenChunk.prefix(brokenChunk.count * 2 / 3))),
            error: SSEEvent(
                json: errorBody(status: 500, error: FakeError(kind: .server), param: nil, model: request.model)
            )
        )
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }
}
