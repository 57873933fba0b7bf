/// Decides, without I/O, the steps that answer one provider request: the behaviour, the reply, the provider's wire
/// shapes and the SSE style together.
struct ResponsePlanner: Sendable {
    var sseStyle: FakeSSEStyle
    var tokenDelayMilliseconds: Int

    /// The steps answering a valid request with `behaviour` and `reply` (before `max_tokens` truncation).
    func plan(request: ProviderRequest, behaviour: FakeBehaviour, reply fullReply: FakeReply) -> [ResponseStep] {
        let wire = request.provider.wire
        let requestID = wire.newRequestID()
        switch behaviour {
        case .status(let status, let error):
            return ResponsePlanner.error(
                wire: wire,
                status: status,
                error: error,
                param: nil,
                model: request.model,
                requestID: requestID
            )
        case .resetConnection:
            return [.reset]
        case .noResponse:
            return [.stall]
        case .midStreamError where !request.stream:
            let failure = wire.midStreamFailure
            return ResponsePlanner.error(
                wire: wire,
                status: failure.status,
                error: failure.error,
                param: nil,
                model: request.model,
                requestID: requestID
            )
        default:
            break
        }
        let reply = fullReply.truncated(toMaxTokens: request.maxTokens)
        let truncated = reply.pieces.count < fullReply.pieces.count
        var steps: [ResponseStep] = []
        if case .slowFirstToken(let milliseconds) = behaviour, milliseconds > 0 {
            steps.append(.delay(milliseconds: milliseconds))
        }
        if request.stream {
            steps += streamSteps(
                wire: wire,
                request: request,
                reply: reply,
                truncated: truncated,
                behaviour: behaviour,
                requestID: requestID
            )
        } else {
            steps += completionSteps(
                wire: wire,
                request: request,
                reply: reply,
                truncated: truncated,
                behaviour: behaviour,
                requestID: requestID
            )
        }
        return steps
    }

    private func completionSteps(
        wire: any WireFormat,
        request: ProviderRequest,
        reply: FakeReply,
        truncated: Bool,
        behaviour: FakeBehaviour,
        requestID: String
    ) -> [ResponseStep] {
        let body = Array(wire.completion(request: request, reply: reply, truncated: truncated).serialized.utf8)
        let headers = ResponsePlanner.headers(wire: wire, requestID: requestID, contentType: "application/json")
        switch behaviour {
        case .cutStream, .stallStream:
            let stalls = if case .stallStream = behaviour { true } else { false }
            return [
                .head(status: 200, headers: headers + [.init("content-length", String(body.count))]),
                .body(Array(body.prefix(body.count / 2))),
                stalls ? .stall : .close,
            ]
        case .malformedChunk:
            let broken = Array(body.prefix(body.count * 2 / 3))
            return [
                .head(status: 200, headers: headers + [.init("content-length", String(broken.count))]),
                .body(broken), .end,
            ]
        default:
            return [
                .head(status: 200, headers: headers + [.init("content-length", String(body.count))]), .body(body), .end,
            ]
        }
    }

    private func streamSteps(
        wire: any WireFormat,
        request: ProviderRequest,
        reply: FakeReply,
        truncated: Bool,
        behaviour: FakeBehaviour,
        requestID: String
    ) -> [ResponseStep] {
        let script = wire.streamScript(request: request, reply: reply, truncated: truncated)
        let pieces = script.pieces.enumerated().map {
            SSEFramer.Item(event: $0.element, delayMilliseconds: $0.offset == 0 ? 0 : tokenDelayMilliseconds)
        }
        func plain(_ events: [SSEEvent]) -> [SSEFramer.Item] {
            events.map { SSEFramer.Item(event: $0, delayMilliseconds: 0) }
        }
        let preamble = plain(script.preamble)
        let closing = plain(script.closing)
        let terminal = plain([script.terminal])
        var items: [SSEFramer.Item]
        var ending = ResponseStep.end
        switch behaviour {
        case .cutStream(let count):
            items = preamble + pieces.prefix(count)
            ending = .close
        case .stallStream(let count):
            items = preamble + pieces.prefix(count)
            ending = .stall
        case .malformedChunk(let count):
            items =
                preamble + pieces.prefix(count) + plain([script.malformed]) + pieces.dropFirst(count) + closing
                + terminal
        case .missingDone:
            items = preamble + pieces + closing
        case .midStreamError(let count):
            items = preamble + pieces.prefix(count) + plain([script.error])
        default:
            items = preamble + pieces + closing + terminal
        }
        let headers =
            ResponsePlanner.headers(wire: wire, requestID: requestID, contentType: "text/event-stream; charset=utf-8")
            + [.init("cache-control", "no-cache"), .init("transfer-encoding", "chunked")]
        return [.head(status: 200, headers: headers)] + SSEFramer(style: sseStyle).steps(for: items) + [ending]
    }

    /// The content type, request id and the provider's usual extra headers.
    static func headers(wire: any WireFormat, requestID: String, contentType: String) -> [ResponseStep.Header] {
        [.init("content-type", contentType), .init(wire.requestIDHeader, requestID)]
            + wire.extraHeaders.map { ResponseStep.Header($0.0, $0.1) }
    }

    /// An HTTP error in the provider's error JSON, with the error's retry headers.
    static func error(
        wire: any WireFormat,
        status: Int,
        error: FakeError,
        param: String?,
        model: String?,
        requestID: String? = nil
    ) -> [ResponseStep] {
        var headers = self.headers(
            wire: wire,
            requestID: requestID ?? wire.newRequestID(),
            contentType: "application/json"
        )
        if let seconds = error.retryAfterSeconds { headers.append(.init("retry-after", String(seconds))) }
        if let milliseconds = error.retryAfterMilliseconds {
            headers.append(.init("retry-after-ms", String(milliseconds)))
        }
        if let shouldRetry = error.shouldRetry { headers.append(.init("x-should-retry", String(shouldRetry))) }
        let body = wire.errorBody(status: status, error: error, param: param, model: model)
        return json(status: status, body: body, headers: headers)
    }

    /// A complete JSON response with Content-Length.
    static func json(status: Int, body: JSONValue, headers: [ResponseStep.Header] = []) -> [ResponseStep] {
        let bytes = Array(body.serialized.utf8)
        var headers = headers
        if !headers.contains(where: { $0.name == "content-type" }) {
            headers.insert(.init("content-type", "application/json"), at: 0)
        }
        headers.append(.init("content-length", String(bytes.count)))
        return [.head(status: status, headers: headers), .body(bytes), .end]
    }
}
