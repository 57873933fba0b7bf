import GatewayCore

/// Anthropic's Messages API (`POST {base}/messages`, base `https://api.anthropic.com/v1`) as a pure translator:
/// Claude 3.5 Sonnet, Claude 3.5 Haiku, the Claude 3 family, and any other model name passed through as is.
///
/// Anthropic takes the system prompt outside the messages and requires `max_tokens`, so the system prompt and any
/// `system` messages are joined into `system`, and `defaultMaxTokens` fills in when the caller set no limit. It has no
/// JSON mode: `.jsonObject` appends `jsonObjectInstruction` to the system prompt instead, which makes a JSON answer
/// very likely but, unlike OpenAI's mode, not guaranteed.
public struct AnthropicTranslator: ProviderTranslator {
    public static let defaultBaseURL = "https://api.anthropic.com/v1"
    public static let path = "/messages"
    public static let defaultVersion = "2023-06-01"
    /// What `.jsonObject` adds to the system prompt.
    public static let jsonObjectInstruction =
        "Respond with a single valid JSON object and nothing else: no prose before or after it and no Markdown code "
        + "fences."

    public var apiKey: String
    /// The `anthropic-version` header.
    public var version: String
    /// `max_tokens` when the request sets none (Anthropic requires one).
    public var defaultMaxTokens: Int
    /// Measures `retry-after` HTTP-dates.
    public var clock: any GatewayClock

    public init(
        apiKey: String, version: String = AnthropicTranslator.defaultVersion, defaultMaxTokens: Int = 4096,
        clock: any GatewayClock = SystemClock()
    ) {
        self.apiKey = apiKey
        self.version = version
        self.defaultMaxTokens = defaultMaxTokens
        self.clock = clock
    }

    public var kind: ProviderKind { .anthropic }

    /// `user` and `assistant` messages go through in order; a `tool` message becomes `user` (its text is all the
    /// neutral message carries) and `name`s are dropped, as Anthropic has no such field.
    public func encode(_ request: CompletionRequest, model: String, stream: Bool) throws(ProviderError)
        -> EncodedRequest
    {
        var systemParts: [String] = []
        if let prompt = request.systemPrompt, !prompt.isEmpty { systemParts.append(prompt) }
        for message in request.messages where message.role == .system && !message.content.isEmpty {
            systemParts.append(message.content)
        }
        if request.responseFormat == .jsonObject { systemParts.append(Self.jsonObjectInstruction) }
        guard request.messages.contains(where: { $0.role != .system }) else {
            throw ProviderError(
                .invalidRequest, "the request has no user or assistant message", provider: .anthropic, model: model)
        }
        for (value, field) in [(request.temperature, "temperature"), (request.topP, "top_p")] {
            if let value, !value.isFinite {
                throw ProviderError(
                    .invalidRequest, "\(field) must be a finite number", provider: .anthropic, model: model)
            }
        }

        var w = JSONWriter(capacity: 256 + request.messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        w.beginObject()
        w.key("model")
        w.string(model)
        w.key("max_tokens")
        w.int(request.maxTokens ?? defaultMaxTokens)
        if !systemParts.isEmpty {
            w.key("system")
            w.string(systemParts.joined(separator: "\n\n"))
        }
        w.key("messages")
        w.beginArray()
        for message in request.messages where message.role != .system {
            w.beginObject()
            w.key("role")
            w.string(message.role == .assistant ? "assistant" : "user")
            w.key("content")
            w.string(message.content)
            w.endObject()
        }
        w.endArray()
        w.samplingFields(of: request, stopKey: "stop_sequences")
        w.key("stream")
        w.bool(stream)
        w.endObject()

        let headers: [(name: String, value: String)] = [
            ("x-api-key", apiKey),
            ("anthropic-version", version),
            ("content-type", "application/json"),
            ("accept", stream ? "text/event-stream" : "application/json"),
        ]
        return EncodedRequest(path: Self.path, headers: headers, body: w.bytes)
    }

    /// Concatenates the `text` content blocks (other blocks, such as `tool_use`, are skipped) and reads the stop
    /// reason and usage. A 2xx body that is an error document throws that error, classified.
    public func decodeResponse(_ body: [UInt8], model: String) throws(ProviderError) -> Completion {
        var id = ""
        var type: String?
        var answeredModel: String?
        var text = ""
        var sawContent = false
        var stop: String?
        var usage = AnthropicWire.Usage()
        var upstreamError: UpstreamErrorBody?
        var requestID: String?
        do {
            try JSONReader.read(body) { r throws(JSONReaderError) in
                try r.readObject { key, r throws(JSONReaderError) in
                    switch key {
                    case "id": id = try r.readOptionalString() ?? ""
                    case "type": type = try r.readOptionalString()
                    case "model": answeredModel = try r.readOptionalString()
                    case "stop_reason": stop = try r.readOptionalString()
                    case "usage": usage = try AnthropicWire.readUsage(&r)
                    case "error": upstreamError = r.readNull() ? nil : try UpstreamErrorBody.read(&r)
                    case "request_id": requestID = try r.readScalarText()
                    case "content":
                        sawContent = true
                        try r.readArray { r throws(JSONReaderError) in
                            var blockType: String?
                            var blockText: String?
                            try r.readObject { key, r throws(JSONReaderError) in
                                switch key {
                                case "type": blockType = try r.readOptionalString()
                                case "text": blockText = try r.readOptionalString()
                                default: break
                                }
                            }
                            if blockType == "text", let blockText { text += blockText }
                        }
                    default: break
                    }
                }
            }
        } catch {
            throw AnthropicWire.malformed("response", error, model: model, code: "malformed_response", usage: .zero)
        }
        let tokens = usage.merged(into: .zero)
        if let upstreamError, type == "error" || !sawContent {
            throw AnthropicWire.error(upstreamError, status: nil, model: model, requestID: requestID, usage: tokens)
        }
        guard sawContent else {
            throw ProviderError(
                .serverError, "unreadable response: no content", provider: .anthropic, model: model,
                upstreamCode: "malformed_response", usage: tokens)
        }
        return Completion(
            id: id, provider: .anthropic, model: answeredModel.flatMap { $0.isEmpty ? nil : $0 } ?? model,
            content: text, finishReason: AnthropicWire.stopReason(stop) ?? .other, usage: tokens)
    }

    /// Classifies by the error's `type` (the status when the type is unknown) and reads the retry hints.
    public func decodeError(status: Int, header: (String) -> String?, body: [UInt8], model: String) -> ProviderError {
        var error: ProviderError
        if let upstream = AnthropicWire.readErrorDocument(body) {
            error = AnthropicWire.error(upstream, status: status, model: model, requestID: header("request-id"))
        } else {
            error = ProviderError(
                UpstreamErrorClassifier.category(forStatus: status),
                UpstreamErrorClassifier.describeUnreadableBody(status: status, body), provider: .anthropic,
                model: model, httpStatus: status)
        }
        error.retryAfterMillis = UpstreamErrorClassifier.retryAfterMillis(header, nowMillis: clock.unixMillis())
        error.shouldRetry = UpstreamErrorClassifier.shouldRetry(header)
        return error
    }

    public func makeStreamDecoder(model: String) -> AnthropicStreamDecoder {
        AnthropicStreamDecoder(model: model)
    }
}
