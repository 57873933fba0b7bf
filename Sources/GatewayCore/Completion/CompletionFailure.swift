/// A request that ended without an answer: the error the caller sees, every attempt made, and the tokens the
/// upstream reported before failing (a stream cut midway is still charged for what it produced).
public struct CompletionFailure: Error, Sendable, CustomStringConvertible {
    public var error: GatewayError
    public var attempts: [AttemptRecord]
    public var usage: TokenUsage

    public init(_ error: GatewayError, attempts: [AttemptRecord] = [], usage: TokenUsage = .zero) {
        self.error = error
        self.attempts = attempts
        self.usage = usage
    }

    public var description: String { error.description }
}
