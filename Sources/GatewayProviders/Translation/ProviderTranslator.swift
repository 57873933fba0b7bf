import GatewayCore

/// Translates provider-neutral requests to one provider's HTTP wire shape and its answers back, without doing any
/// I/O: the HTTP client sends what `encode` returns and hands the status, headers and body bytes back here.
///
/// Every decoded answer carries token usage, and every failure is classified as a `ProviderError` so the retry and
/// fallback policy in GatewayCore can act on it without knowing the provider.
public protocol ProviderTranslator: Sendable {
    associatedtype StreamDecoder: ProviderStreamDecoder

    var kind: ProviderKind { get }

    /// The request for `model` (already resolved from aliases). Throws `.invalidRequest` for a request the provider
    /// cannot be sent (no messages, a non-finite number).
    func encode(_ request: CompletionRequest, model: String, stream: Bool) throws(ProviderError) -> EncodedRequest

    /// A 2xx non-streaming answer. Throws `.serverError` (upstream code "malformed_response") for a body that cannot
    /// be read, or the classified error when a 2xx body carries one.
    func decodeResponse(_ body: [UInt8], model: String) throws(ProviderError) -> Completion

    /// A non-2xx answer, classified. `header` looks a response header up case-insensitively; it is asked for
    /// lowercase names.
    func decodeError(status: Int, header: (String) -> String?, body: [UInt8], model: String) -> ProviderError

    /// A decoder for one streamed answer's SSE events.
    func makeStreamDecoder(model: String) -> StreamDecoder
}

extension ProviderTranslator {
    /// A reader that takes a streamed answer's raw body bytes and yields neutral events.
    public func makeStreamReader(model: String, maxEventBytes: Int = SSEParser.defaultMaxEventBytes)
        -> CompletionStreamReader<StreamDecoder>
    {
        CompletionStreamReader(decoder: makeStreamDecoder(model: model), maxEventBytes: maxEventBytes)
    }
}
