/// Which provider's wire format a request used, decided by the endpoint it reached.
public enum FakeProvider: String, Sendable, Hashable, CaseIterable {
    /// `POST /v1/chat/completions`.
    case openai
    /// `POST /v1/messages`.
    case anthropic
}
