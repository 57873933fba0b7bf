/// One turn of a conversation, provider-neutral. The system prompt travels separately in `CompletionRequest`
/// because Anthropic takes it outside the message list.
public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// An optional participant name (OpenAI's `name`); dropped for providers without one.
    public var name: String?

    public init(role: Role, content: String, name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }
}
