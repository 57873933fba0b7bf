import GatewayCore

/// Decodes Anthropic's Messages event stream.
///
/// `message_start` yields `started` and the input and cache usage; `text_delta`s yield `delta`; `message_delta`
/// carries the stop reason and the cumulative output tokens (and, when present, input and cache tokens), and the
/// latest value wins; `message_stop` yields `finished`. `ping`, `content_block_start`/`stop`, other delta types and
/// event types this version does not know are ignored, so new upstream events do not break streams. An `error` event
/// throws the classified error and a chunk that is not JSON throws `.serverError` ("malformed_stream"); both carry
/// the usage seen so far.
public struct AnthropicStreamDecoder: ProviderStreamDecoder {
    public var provider: ProviderKind { .anthropic }
    public let model: String
    public private(set) var usageSoFar = TokenUsage.zero
    public private(set) var isFinished = false
    private var started = false
    private var stopReason: FinishReason?

    public init(model: String) {
        self.model = model
    }

    public mutating func consume(_ event: SSEEvent, _ emit: (CompletionEvent) -> Void) throws(ProviderError) {
        guard !isFinished else { return }
        var type: String?
        var messageID: String?
        var messageModel: String?
        var usage: AnthropicWire.Usage?
        var deltaType: String?
        var text: String?
        var stop: String?
        var upstreamError: UpstreamErrorBody?
        do {
            try JSONReader.read(event.data) { r throws(JSONReaderError) in
                try r.readObject { key, r throws(JSONReaderError) in
                    switch key {
                    case "type": type = try r.readOptionalString()
                    case "usage": usage = try AnthropicWire.readUsage(&r)
                    case "error": upstreamError = r.readNull() ? nil : try UpstreamErrorBody.read(&r)
                    case "message":
                        try r.readObject { key, r throws(JSONReaderError) in
                            switch key {
                            case "id": messageID = try r.readOptionalString()
                            case "model": messageModel = try r.readOptionalString()
                            case "usage": usage = try AnthropicWire.readUsage(&r)
                            default: break
                            }
                        }
                    case "delta", "content_block":
                        if r.readNull() { return }
                        try r.readObject { key, r throws(JSONReaderError) in
                            switch key {
                            case "type": deltaType = try r.readOptionalString()
                            case "text": text = try r.readOptionalString()
                            case "stop_reason": stop = try r.readOptionalString()
                            default: break
                            }
                        }
                    default: break
                    }
                }
            }
        } catch {
            throw AnthropicWire.malformed(
                "stream event", error, model: model, code: "malformed_stream", usage: usageSoFar)
        }

        if let usage { usageSoFar = usage.merged(into: usageSoFar) }
        switch type ?? event.event {
        case "message_start":
            startIfNeeded(id: messageID ?? "", model: messageModel, emit)
        case "content_block_delta":
            guard deltaType == "text_delta", let text, !text.isEmpty else { return }
            startIfNeeded(id: "", model: nil, emit)
            emit(.delta(text))
        case "content_block_start":
            guard deltaType == "text", let text, !text.isEmpty else { return }
            startIfNeeded(id: "", model: nil, emit)
            emit(.delta(text))
        case "message_delta":
            if let reason = AnthropicWire.stopReason(stop) { stopReason = reason }
        case "message_stop":
            startIfNeeded(id: "", model: nil, emit)
            isFinished = true
            emit(.finished(stopReason ?? .other, usageSoFar))
        case "error":
            throw AnthropicWire.error(
                upstreamError ?? UpstreamErrorBody(message: "an error event without an error object"), status: nil,
                model: model, usage: usageSoFar)
        default:
            break
        }
    }

    private mutating func startIfNeeded(id: String, model messageModel: String?, _ emit: (CompletionEvent) -> Void) {
        guard !started else { return }
        started = true
        emit(.started(id: id, model: messageModel.flatMap { $0.isEmpty ? nil : $0 } ?? model))
    }
}
