import GatewayCore

/// Decodes OpenAI's `chat.completion.chunk` stream (requested with `stream_options.include_usage`).
///
/// The first chunk yields `started`; each non-empty content (or refusal) delta of choice 0 yields `delta`; the finish
/// reason and the final usage chunk (`"choices": []`) are remembered, and `data: [DONE]` (compared after trimming
/// whitespace) yields `finished`. An `{"error": …}` payload throws the classified error, and a chunk that is not
/// JSON throws `.serverError` with upstream code "malformed_stream"; both carry the usage seen so far.
public struct OpenAIStreamDecoder: ProviderStreamDecoder {
    public var provider: ProviderKind { .openai }
    public let model: String
    public private(set) var usageSoFar = TokenUsage.zero
    public private(set) var isFinished = false
    private var started = false
    private var finishReason: FinishReason?

    public init(model: String) {
        self.model = model
    }

    public mutating func consume(_ event: SSEEvent, _ emit: (CompletionEvent) -> Void) throws(ProviderError) {
        guard !isFinished else { return }
        if Self.isDone(event.data) {
            startIfNeeded(id: "", model: nil, emit)
            isFinished = true
            emit(.finished(finishReason ?? .other, usageSoFar))
            return
        }

        let document: OpenAIDocument
        do {
            document = try JSONReader.read(event.data) { r throws(JSONReaderError) in
                try OpenAIDocument.read(&r, choiceKey: "delta")
            }
        } catch {
            throw OpenAIWire.malformed("stream chunk", error, model: model, code: "malformed_stream", usage: usageSoFar)
        }

        if let usage = document.usage { usageSoFar = usage }
        if let upstreamError = document.error {
            throw OpenAIWire.error(upstreamError, status: nil, model: model, usage: usageSoFar)
        }
        if event.event == "error" {
            throw ProviderError(
                .serverError, "an error event without an error object: \(event.data.prefix(200))", provider: .openai,
                model: model, upstreamCode: "stream_error", usage: usageSoFar)
        }
        startIfNeeded(id: document.id ?? "", model: document.model, emit)
        if let content = document.choice?.content, !content.isEmpty { emit(.delta(content)) }
        if let refusal = document.choice?.refusal, !refusal.isEmpty { emit(.delta(refusal)) }
        if let reason = OpenAIWire.finishReason(document.choice?.finishReason) { finishReason = reason }
    }

    private mutating func startIfNeeded(id: String, model chunkModel: String?, _ emit: (CompletionEvent) -> Void) {
        guard !started else { return }
        started = true
        emit(.started(id: id, model: chunkModel.flatMap { $0.isEmpty ? nil : $0 } ?? model))
    }

    /// `[DONE]` with any surrounding whitespace, checked on the bytes so ordinary chunks cost nothing.
    static func isDone(_ data: String) -> Bool {
        var utf8 = data.utf8[...]
        guard utf8.count < 64 else { return false }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        while let first = utf8.first, isSpace(first) { utf8 = utf8.dropFirst() }
        while let last = utf8.last, isSpace(last) { utf8 = utf8.dropLast() }
        return utf8.elementsEqual("[DONE]".utf8)
    }
}
