/// Which provider serves a model, where a failing model falls back to, and which model of the other provider is its
/// counterpart for cross-provider fallback.
///
/// The defaults follow the product spec: fall back to cheaper models of the same family (gpt-4o → gpt-4o-mini,
/// claude-3-5-sonnet → claude-3-5-haiku). Unknown models are still served: their provider is inferred from the name.
public struct ModelCatalog: Sendable, Hashable {
    /// Model → provider for the models aigw knows by name.
    public var providers: [String: ProviderKind]
    /// Model → the models tried after it, in order, when a request names no fallbacks of its own.
    public var fallbacks: [String: [String]]
    /// Model → the other provider's closest model, for cross-provider fallback.
    public var counterparts: [String: String]
    /// Short names callers may use → the model sent upstream.
    public var aliases: [String: String]

    public init(
        providers: [String: ProviderKind], fallbacks: [String: [String]], counterparts: [String: String],
        aliases: [String: String] = [:]
    ) {
        self.providers = providers
        self.fallbacks = fallbacks
        self.counterparts = counterparts
        self.aliases = aliases
    }

    public static let productDefaults = ModelCatalog(
        providers: [
            "gpt-4-turbo": .openai, "gpt-4o": .openai, "gpt-4o-mini": .openai, "gpt-3.5-turbo": .openai,
            "claude-3-5-sonnet-20241022": .anthropic, "claude-3-5-haiku-20241022": .anthropic,
            "claude-3-opus-20240229": .anthropic, "claude-3-sonnet-20240229": .anthropic,
            "claude-3-haiku-20240307": .anthropic,
        ],
        fallbacks: [
            "gpt-4-turbo": ["gpt-4o", "gpt-4o-mini"],
            "gpt-4o": ["gpt-4o-mini"],
            "gpt-3.5-turbo": ["gpt-4o-mini"],
            "claude-3-opus-20240229": ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"],
            "claude-3-5-sonnet-20241022": ["claude-3-5-haiku-20241022"],
            "claude-3-sonnet-20240229": ["claude-3-haiku-20240307"],
        ],
        counterparts: [
            "gpt-4-turbo": "claude-3-opus-20240229", "claude-3-opus-20240229": "gpt-4-turbo",
            "gpt-4o": "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022": "gpt-4o",
            "gpt-4o-mini": "claude-3-5-haiku-20241022", "claude-3-5-haiku-20241022": "gpt-4o-mini",
            "gpt-3.5-turbo": "claude-3-haiku-20240307", "claude-3-haiku-20240307": "gpt-3.5-turbo",
            "claude-3-sonnet-20240229": "gpt-4o",
        ],
        aliases: [
            "claude-3-5-sonnet": "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
            "claude-3-5-haiku": "claude-3-5-haiku-20241022", "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
            "claude-3-opus": "claude-3-opus-20240229", "claude-3-opus-latest": "claude-3-opus-20240229",
            "claude-3-sonnet": "claude-3-sonnet-20240229", "claude-3-haiku": "claude-3-haiku-20240307",
        ]
    )

    /// The name sent upstream for what a caller asked for.
    public func resolve(_ model: String) -> String { aliases[model] ?? model }

    /// The provider for a model: the catalog's entry, else inferred from the name; nil when neither knows it.
    public func provider(for model: String) -> ProviderKind? {
        let name = resolve(model)
        if let known = providers[name] { return known }
        if name.hasPrefix("claude") { return .anthropic }
        if name.hasPrefix("gpt-") || name.hasPrefix("o1") || name.hasPrefix("o3") || name.hasPrefix("o4")
            || name.hasPrefix("chatgpt") || name.hasPrefix("text-embedding")
        {
            return .openai
        }
        return nil
    }
}
