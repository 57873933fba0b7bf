/// The price of every known model. Lives in the configuration and can be replaced at run time.
///
/// A model missing from the table is still recorded, at zero cost and flagged `unpriced`, never dropped.
public struct PriceTable: Sendable, Hashable {
    public var prices: [String: ModelPrice]

    public init(prices: [String: ModelPrice]) {
        self.prices = prices
    }

    /// The product spec's prices (Jan 2026). Cached input follows each provider's published discount (OpenAI half
    /// price, Anthropic a tenth) and Anthropic cache writes cost 1.25 times input.
    public static let productDefaults = PriceTable(prices: [
        "gpt-4-turbo": ModelPrice(input: 10_000, output: 30_000),
        "gpt-4o": ModelPrice(input: 5_000, cachedInput: 2_500, output: 15_000),
        "gpt-4o-mini": ModelPrice(input: 150, cachedInput: 75, output: 600),
        "gpt-3.5-turbo": ModelPrice(input: 500, output: 1_500),
        "claude-3-5-sonnet-20241022": ModelPrice(input: 3_000, cachedInput: 300, cacheWrite: 3_750, output: 15_000),
        "claude-3-5-haiku-20241022": ModelPrice(input: 800, cachedInput: 80, cacheWrite: 1_000, output: 4_000),
        "claude-3-opus-20240229": ModelPrice(input: 15_000, cachedInput: 1_500, cacheWrite: 18_750, output: 75_000),
        "claude-3-sonnet-20240229": ModelPrice(input: 3_000, cachedInput: 300, cacheWrite: 3_750, output: 15_000),
        "claude-3-haiku-20240307": ModelPrice(input: 250, cachedInput: 25, cacheWrite: 300, output: 1_250),
        "text-embedding-3-small": ModelPrice(input: 20, output: 0),
    ])

    /// The cost of `usage` on `model`, or nil when the model has no price.
    public func cost(model: String, usage: TokenUsage) -> Int64? {
        prices[model]?.cost(of: usage)
    }
}
