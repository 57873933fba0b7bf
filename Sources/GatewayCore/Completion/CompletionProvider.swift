/// An upstream that answers provider-neutral requests for one concrete model: OpenAI or Anthropic over HTTP in
/// production. Implementations classify every failure as a `ProviderError` and abort the upstream transfer when the
/// calling task is cancelled.
public protocol CompletionProvider: Sendable {
    var kind: ProviderKind { get }

    /// One non-streaming call.
    func complete(_ request: CompletionRequest, model: String) async throws(ProviderError) -> Completion

    /// Starts a streaming call. Returns once the upstream has accepted it (an HTTP error is thrown here, before any
    /// event); the stream then yields `CompletionEvent`s and throws `ProviderError` if the upstream breaks off.
    func stream(_ request: CompletionRequest, model: String) async throws(ProviderError) -> CompletionEventStream
}
