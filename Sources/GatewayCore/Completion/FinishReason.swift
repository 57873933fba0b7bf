/// Why the model stopped, normalised across providers (OpenAI `finish_reason`, Anthropic `stop_reason`).
public enum FinishReason: String, Sendable, Hashable {
    case stop
    case length
    case contentFilter
    case toolCalls
    /// The caller cancelled or its deadline passed; only for streams ended early.
    case cancelled
    /// The provider sent a value this version does not know.
    case other
}
