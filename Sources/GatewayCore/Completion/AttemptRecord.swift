/// One upstream attempt of a request, kept so responses and logs show every retry and fallback.
public struct AttemptRecord: Sendable, Hashable {
    public var provider: ProviderKind
    public var model: String
    /// nil for the attempt that produced the answer.
    public var error: ProviderError?
    public var latencyMillis: UInt64

    public init(provider: ProviderKind, model: String, error: ProviderError?, latencyMillis: UInt64) {
        self.provider = provider
        self.model = model
        self.error = error
        self.latencyMillis = latencyMillis
    }
}
