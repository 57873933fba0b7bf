/// A finished chat completion from one provider and model.
public struct Completion: Sendable, Hashable {
    /// The upstream's response id (`chatcmpl-…`, `msg_…`).
    public var id: String
    public var provider: ProviderKind
    /// The model that answered, as the upstream names it.
    public var model: String
    public var content: String
    public var finishReason: FinishReason
    public var usage: TokenUsage

    public init(
        id: String, provider: ProviderKind, model: String, content: String, finishReason: FinishReason,
        usage: TokenUsage
    ) {
        self.id = id
        self.provider = provider
        self.model = model
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
    }
}
