/// One step of a streamed completion, provider-neutral.
///
/// A well-formed stream is `started`, any number of `delta`s, then exactly one `finished`. A stream whose upstream
/// ends before `finished` is an error (a cut stream is not a success), reported as a `ProviderError` that carries the
/// usage seen so far.
public enum CompletionEvent: Sendable, Hashable {
    case started(id: String, model: String)
    case delta(String)
    case finished(FinishReason, TokenUsage)
}
