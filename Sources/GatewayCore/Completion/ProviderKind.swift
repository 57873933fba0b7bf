/// An upstream LLM provider aigw can call.
public enum ProviderKind: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case openai
    case anthropic

    public var description: String { rawValue }
}
