/// What one model costs, per token kind, in whole nano-dollars (1e-9 USD) per token.
///
/// Every price in the product spec is a whole number of nano-dollars per token ($0.00015 per 1K tokens is 150), so
/// costs are exact integer products and sums: money is never accumulated in floating point.
public struct ModelPrice: Sendable, Hashable {
    public var inputNanosPerToken: Int64
    public var cachedInputNanosPerToken: Int64
    public var cacheWriteNanosPerToken: Int64
    public var outputNanosPerToken: Int64

    public init(input: Int64, cachedInput: Int64? = nil, cacheWrite: Int64? = nil, output: Int64) {
        inputNanosPerToken = input
        cachedInputNanosPerToken = cachedInput ?? input
        cacheWriteNanosPerToken = cacheWrite ?? input
        outputNanosPerToken = output
    }

    /// The cost of `usage` in nano-dollars.
    public func cost(of usage: TokenUsage) -> Int64 {
        Int64(usage.input) * inputNanosPerToken + Int64(usage.cachedInput) * cachedInputNanosPerToken
            + Int64(usage.cacheWrite) * cacheWriteNanosPerToken + Int64(usage.output) * outputNanosPerToken
    }
}
