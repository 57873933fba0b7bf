/// The product feature a call serves. Limits, cache TTLs and reports are keyed by it.
public enum Endpoint: String, CaseIterable, Sendable, Hashable {
    case summarize
    case search
    case chat
    case embeddings
    case translation
}
