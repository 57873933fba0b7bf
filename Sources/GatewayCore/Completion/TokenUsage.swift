/// Tokens by kind. Cached input (cache reads) and cache writes are priced differently from plain input, so they are
/// never folded into `input`: `input` counts only uncached prompt tokens.
public struct TokenUsage: Sendable, Hashable, CustomStringConvertible {
    public var input: UInt64
    public var cachedInput: UInt64
    public var cacheWrite: UInt64
    public var output: UInt64

    public init(input: UInt64 = 0, cachedInput: UInt64 = 0, cacheWrite: UInt64 = 0, output: UInt64 = 0) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
    }

    public static let zero = TokenUsage()

    public var total: UInt64 { input + cachedInput + cacheWrite + output }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(
            input: a.input + b.input, cachedInput: a.cachedInput + b.cachedInput,
            cacheWrite: a.cacheWrite + b.cacheWrite, output: a.output + b.output)
    }

    public var description: String {
        "input=\(input) cached_input=\(cachedInput) cache_write=\(cacheWrite) output=\(output)"
    }
}
