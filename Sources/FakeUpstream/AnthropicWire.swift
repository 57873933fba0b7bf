/// Anthropic's messages wire shapes, as the real API sends them.
struct AnthropicWire: WireFormat {
    var requestIDHeader: String { "request-id" }
    var extraHeaders: [(String, String)] { [] }
    var midStreamFailure: (status: Int, error: FakeError) { (529, FakeError(kind: .overloaded)) }

    func newRequestID() -> String { "req_011C" + RandomID.alphanumeric(20) }

    /// `{"type":"error","error":{"type":..,"message":..}}`. Anthropic errors have no code or param.
    func errorBody(status: Int, error: FakeError, param: String?, model: String?) -> JSONValue {
        var fields = defaults(for: error.resolvedKind(status: status), model: model)
        if error.kind == .automatic, status == 413 {
            fields = ("request_too_large", "Request exceeds the maximum allowed number of bytes.")
        }
        return .object([
            "type": .string("error"),
            "error": .object([
                "type": .string(error.type ?? fields.type), "message": .string(error.message ?? fields.message),
            ]),
        ])
    }

    private func defaults(for kind: FakeError.Kind, model: String?) -> (type: String, message: String) {
        switch kind {
        case .automatic, .invalidRequest: return ("invalid_request_error", "Invalid request.")
        case .contextLength: return ("invalid_request_error", "prompt is too long: 200001 tokens > 200000 maximum")
        case .authentication: return ("authentication_error", "invalid x-api-key")
        case .permission:
            return ("permission_error", "Your API key does not have permission to use the specified resource.")
        case .notFound: return ("not_found_error", "model: \(model ?? "unknown")")
        case .rateLimit:
            return (
                "rate_limit_error",
                "This request would exceed the rate limit for your organization of 50 requests per minute. For "
                    + "details, refer to: https://docs.claude.com/en/api/rate-limits."
            )
        case .quota:
            return (
                "rate_limit_error",
                "You have reached your specified API usage limits. You will regain access on 2099-01-01 at 00:00 UTC."
            )
        case .server: return ("api_error", "Internal server error")
        case .unavailable: return ("api_error", "Service unavailable")
        case .overloaded: return ("overloaded_error", "Overloaded")
        }
    }

    /// `input_tokens` excludes cache reads and writes, which are reported apart.
    private func usage(_ reply: FakeReply, outputTokens: Int) -> JSONValue {
        .object([
            "input_tokens": .int(reply.inputTokens),
            "output_tokens": .int(outputTokens),
            "cache_creation_input_tokens": .int(reply.cacheWriteTokens),
            "cache_read_input_tokens": .int(reply.cachedInputTokens),
        ])
    }

    func completion(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> JSONValue {
        .object([
            "id": .string("msg_01" + RandomID.alphanumeric(22)),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": .string(request.model),
            "content": .array([.object(["type": .string("text"), "text": .string(reply.text)])]),
            "stop_reason": .string(truncated ? "max_tokens" : "end_turn"),
            "stop_sequence": .null,
            "usage": usage(reply, outputTokens: reply.outputTokens),
        ])
    }

    /// `message_start` (usage with `output_tokens` 1), `content_block_start`, `ping`, one `content_block_delta` per
    /// piece, `content_block_stop`, `message_delta` (stop reason and output tokens), `message_stop`.
    func streamScript(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> StreamScript {
        let message = JSONValue.object([
            "id": .string("msg_01" + RandomID.alphanumeric(22)),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": .string(request.model),
            "content": .array([]),
            "stop_reason": .null,
            "stop_sequence": .null,
            "usage": usage(reply, outputTokens: 1),
        ])
        func delta(_ text: String) -> JSONValue {
            .object([
                "type": .string("content_block_delta"), "index": .int(0),
                "delta": .object(["type": .string("text_delta"), "text": .string(text)]),
            ])
        }
        let brokenDelta = delta("(this event is cut off)").serialized
        return StreamScript(
            preamble: [
                SSEEvent(name: "message_start", json: .object(["type": .string("message_start"), "message": message])),
                SSEEvent(
                    name: "content_block_start",
                    json: .object([
                        "type": .string("content_block_start"), "index": .int(0),
                        "content_block": .object(["type": .string("text"), "text": .string("")]),
                    ])
                ),
                SSEEvent(name: "ping", json: .object(["type": .string("ping")])),
            ],
            pieces: reply.pieces.map { SSEEvent(name: "content_block_delta", json: delta($0)) },
            closing: [
                SSEEvent(
                    name: "content_block_stop",
                    json: .object(["type": .string("content_block_stop"), "index": .int(0)])
                ),
                SSEEvent(
                    name: "message_delta",
                    json: .object([
                        "type": .string("message_delta"),
                        "delta": .object([
                            "stop_reason": .string(truncated ? "max_tokens" : "end_turn"), "stop_sequence": .null,
                        ]),
                        "usage": .object(["output_tokens": .int(reply.outputTokens)]),
                    ])
                ),
            ],
            terminal: SSEEvent(name: "message_stop", json: .object(["type": .string("message_stop")])),
            malformed: SSEEvent(
                name: "content_block_delta",
                data: String(brokenDelta.prefix(brokenDelta.count * 2 / 3))
            ),
            error: SSEEvent(
                name: "error",
                json: errorBody(status: 529, error: FakeError(kind: .overloaded), param: nil, model: request.model)
            )
        )
    }
}
