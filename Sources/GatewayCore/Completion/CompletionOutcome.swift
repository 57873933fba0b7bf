/// A request that was answered: the completion plus how it was obtained.
public struct CompletionOutcome: Sendable, Hashable {
    public var completion: Completion
    public var attempts: [AttemptRecord]
    /// The answer came from a model other than the one requested.
    public var fallbackUsed: Bool
    public var latencyMillis: UInt64
    /// Streams only: from the start of the request until the first delta was handed to the caller.
    public var firstTokenMillis: UInt64?

    public init(
        completion: Completion, attempts: [AttemptRecord], fallbackUsed: Bool, latencyMillis: UInt64,
        firstTokenMillis: UInt64? = nil
    ) {
        self.completion = completion
        self.attempts = attempts
        self.fallbackUsed = fallbackUsed
        self.latencyMillis = latencyMillis
        self.firstTokenMillis = firstTokenMillis
    }
}
