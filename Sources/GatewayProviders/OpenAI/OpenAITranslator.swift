import GatewayCore

/// OpenAI's Chat Completions API (`POST {base}/chat/completions`, base `https://api.openai.com/v1`) as a pure
/// translator: GPT-4 Turbo, GPT-4o, GPT-4o mini, GPT-3.5 Turbo, and any other model name passed through as is.
///
/// Requests omit every optional the caller left unset, so OpenAI's own defaults apply. Streams ask for
/// `stream_options.include_usage`, so the final chunk reports the tokens used. Usage is normalised: OpenAI's
/// `prompt_tokens` includes cached tokens, which are moved to `cachedInput`.
public struct OpenAITranslator: ProviderTranslator {
    public static let defaultBaseURL = "https://api.openai.com/v1"
    public static let path = "/chat/completions"

    public var apiKey: String
    /// Sent as `OpenAI-Organization` when set.
    public var organization: String?
    /// Sent as `OpenAI-Project` when set.
    public var project: String?
    /// Measures `retry-after` HTTP-dates.
    public var clock: any GatewayClock

    public init(
        apiKey: String, organization: String? = nil, project: String? = nil, clock: any GatewayClock = SystemClock()
    ) {
        self.apiKey = apiKey
        self.organization = organization
        self.project = project
        self.clock = clock
    }

    public var kind: ProviderKind { .openai }

    /// The system prompt goes first as a `system` message. A `tool` message becomes `user`, because OpenAI's `tool`
    /// role needs a `tool_call_id` that neutral messages do not carry and would be rejected without it.
    public func encode(_ request: CompletionRequest, model: String, stream: Bool) throws(ProviderError)
        -> EncodedRequest
    {
        let systemPrompt = request.systemPrompt.flatMap { $0.isEmpty ? nil : $0 }
        guard systemPrompt != nil || !request.messages.isEmpty else {
            throw ProviderError(.invalidRequest, "the request has no messages", provider: .openai, model: model)
        }
        try checkFinite(request.temperature, "temperature", model: model)
        try checkFinite(request.topP, "top_p", model: model)

        var w = JSONWriter(capacity: 256 + request.messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        w.beginObject()
        w.key("model")
        w.string(model)
        w.key("messages")
        w.beginArray()
        if let systemPrompt { writeMessage(&w, role: "system", content: systemPrompt, name: nil) }
        for message in request.messages {
            let role =
                switch message.role {
                case .system: "system"
                case .user, .tool: "user"
                case .assistant: "assistant"
                }
            writeMessage(&w, role: role, content: message.content, name: message.name)
        }
        w.endArray()
        if let maxTokens = request.maxTokens {
            // The reasoning models refuse max_tokens; other OpenAI-compatible servers may not know its successor.
            w.key(Self.isReasoningModel(model) ? "max_completion_tokens" : "max_tokens")
            w.int(maxTokens)
        }
        w.samplingFields(of: request, stopKey: "stop")
        if request.responseFormat == .jsonObject {
            w.key("response_format")
            w.beginObject()
            w.key("type")
            w.string("json_object")
            w.endObject()
        }
        w.key("stream")
        w.bool(stream)
        if stream {
            w.key("stream_options")
            w.beginObject()
            w.key("include_usage")
            w.bool(true)
            w.endObject()
        }
        w.endObject()

        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(apiKey)"),
            ("Content-Type", "application/json"),
            ("Accept", stream ? "text/event-stream" : "application/json"),
        ]
        if let organization, !organization.isEmpty { headers.append(("OpenAI-Organization", organization)) }
        if let project, !project.isEmpty { headers.append(("OpenAI-Project", project)) }
        return EncodedRequest(path: Self.path, headers: headers, body: w.bytes)
    }

    /// Reads the first choice: its content (or its refusal when there is no content), finish reason and the usage.
    /// A 2xx body that holds an `error` object throws that error, classified.
    public func decodeResponse(_ body: [UInt8], model: String) throws(ProviderError) -> Completion {
        let document: OpenAIDocument
        do {
            document = try JSONReader.read(body) { r throws(JSONReaderError) in
                try OpenAIDocument.read(&r, choiceKey: "message")
            }
        } catch {
            throw OpenAIWire.malformed("response", error, model: model, code: "malformed_response", usage: .zero)
        }
        let usage = document.usage ?? .zero
        guard let choice = document.choice else {
            if let upstreamError = document.error {
                throw OpenAIWire.error(upstreamError, status: nil, model: model, usage: usage)
            }
            throw ProviderError(
                .serverError, "unreadable response: no choices", provider: .openai, model: model,
                upstreamCode: "malformed_response", usage: usage)
        }
        return Completion(
            id: document.id ?? "", provider: .openai, model: document.model.flatMap { $0.isEmpty ? nil : $0 } ?? model,
            content: choice.content ?? choice.refusal ?? "",
            finishReason: OpenAIWire.finishReason(choice.finishReason) ?? .other, usage: usage)
    }

    /// Classifies by status (`insufficient_quota` is quota exhaustion whatever the status) and reads the retry hints.
    public func decodeError(status: Int, header: (String) -> String?, body: [UInt8], model: String) -> ProviderError {
        var error: ProviderError
        if let upstream = OpenAIWire.readErrorDocument(body) {
            error = OpenAIWire.error(upstream, status: status, model: model, requestID: header("x-request-id"))
        } else {
            error = ProviderError(
                UpstreamErrorClassifier.category(forStatus: status),
                UpstreamErrorClassifier.describeUnreadableBody(status: status, body), provider: .openai, model: model,
                httpStatus: status)
        }
        error.retryAfterMillis = UpstreamErrorClassifier.retryAfterMillis(header, nowMillis: clock.unixMillis())
        error.shouldRetry = UpstreamErrorClassifier.shouldRetry(header)
        return error
    }

    public func makeStreamDecoder(model: String) -> OpenAIStreamDecoder {
        OpenAIStreamDecoder(model: model)
    }

    /// OpenAI's o-series (o1, o3, o4-mini ...), which count hidden reasoning tokens against
    /// `max_completion_tokens` and reject `max_tokens`.
    static func isReasoningModel(_ model: String) -> Bool {
        guard let first = model.first, first == "o", let second = model.dropFirst().first else { return false }
        return second.isNumber
    }

    private func writeMessage(_ w: inout JSONWriter, role: String, content: String, name: String?) {
        w.beginObject()
        w.key("role")
        w.string(role)
        w.key("content")
        w.string(content)
        if let name, !name.isEmpty {
            w.key("name")
            w.string(name)
        }
        w.endObject()
    }

    private func checkFinite(_ value: Double?, _ field: String, model: String) throws(ProviderError) {
        if let value, !value.isFinite {
            throw ProviderError(.invalidRequest, "\(field) must be a finite number", provider: .openai, model: model)
        }
    }
}
