import NIOHTTP1

/// Decides the answer to one complete request: a provider endpoint (recorded and counted, validated as the provider
/// would, then answered by the scripted behaviour), the control API, or a 404/405 in the provider's error shape.
struct RequestRouter: Sendable {
    let state: FakeUpstreamState

    static let openAIPath = "/v1/chat/completions"
    static let anthropicPath = "/v1/messages"
    /// Where the fake accepts alert webhooks (any path below it).
    static let webhookPrefix = "/hooks/"

    func respond(to head: HTTPRequestHead, body: [UInt8]) -> [ResponseStep] {
        let path =
            head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            ?? head.uri
        switch path {
        case Self.openAIPath:
            return provider(.openai, head: head, path: path, body: body)
        case Self.anthropicPath:
            return provider(.anthropic, head: head, path: path, body: body)
        case _ where path.hasPrefix(ControlAPI.prefix):
            return ControlAPI(state: state).respond(method: head.method, path: path, body: body)
        case _ where path.hasPrefix(Self.webhookPrefix) && head.method == .POST:
            let status = state.receiveWebhook(
                path: path, headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            return ResponsePlanner.json(
                status: status, body: .object(["ok": .bool(status == 200)]))
        default:
            let looksAnthropic =
                head.headers.contains(name: "anthropic-version") || head.headers.contains(name: "x-api-key")
            if looksAnthropic {
                return ResponsePlanner.error(
                    wire: AnthropicWire(),
                    status: 404,
                    error: FakeError(kind: .notFound, message: "Not Found"),
                    param: nil,
                    model: nil
                )
            }
            return ResponsePlanner.error(
                wire: OpenAIWire(),
                status: 404,
                error: FakeError(
                    kind: .invalidRequest,
                    code: "",
                    message: "Invalid URL (\(head.method.rawValue) \(path))"
                ),
                param: nil,
                model: nil
            )
        }
    }

    private func provider(
        _ provider: FakeProvider,
        head: HTTPRequestHead,
        path: String,
        body: [UInt8]
    )
        -> [ResponseStep]
    {
        let wire = provider.wire
        guard head.method == .POST else {
            let message =
                provider == .openai ? "Invalid method for URL (\(head.method.rawValue) \(path))" : "Method Not Allowed"
            var steps = ResponsePlanner.error(
                wire: wire,
                status: 405,
                error: FakeError(kind: .invalidRequest, code: "", message: message),
                param: nil,
                model: nil
            )
            if case .head(let status, let headers) = steps[0] {
                steps[0] = .head(status: status, headers: headers + [.init("allow", "POST")])
            }
            return steps
        }
        let json = try? JSONValue(parsing: body)
        let peeked = ProviderRequest.peek(json)
        state.record(
            FakeUpstream.RecordedRequest(
                method: head.method.rawValue,
                path: path,
                uri: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) },
                body: body,
                model: peeked.model,
                stream: peeked.stream,
                provider: provider
            )
        )
        switch ProviderRequest.parse(
            provider: provider,
            headers: head.headers,
            json: json,
            configuration: state.configuration
        )
        {
        case .failure(let rejection):
            return ResponsePlanner.error(
                wire: wire,
                status: rejection.status,
                error: rejection.error,
                param: rejection.param,
                model: peeked.model
            )
        case .success(let request):
            let decision = state.decide(model: request.model)
            let planner = ResponsePlanner(
                sseStyle: state.configuration.sseStyle,
                tokenDelayMilliseconds: decision.tokenDelayMilliseconds
            )
            return planner.plan(
                request: request,
                behaviour: decision.behaviour,
                reply: decision.reply ?? request.defaultReply
            )
        }
    }
}
