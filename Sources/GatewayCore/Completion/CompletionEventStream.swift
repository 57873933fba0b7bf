/// The events of one streamed completion, pulled by the consumer's own task.
///
/// Providers build it from a closure that yields the next event, so parsing happens in the task that reads the stream
/// and no extra task or buffer sits between the upstream bytes and the caller. Each iteration starts from a fresh
/// `makeNext()`; a stream is meant to be iterated once.
public struct CompletionEventStream: AsyncSequence, Sendable {
    public typealias Element = CompletionEvent

    private let makeNext: @Sendable () -> (() async throws -> CompletionEvent?)

    /// `makeNext` returns the pull function of one iteration: the next event, nil at the end, or a thrown
    /// `ProviderError`.
    public init(_ makeNext: @escaping @Sendable () -> (() async throws -> CompletionEvent?)) {
        self.makeNext = makeNext
    }

    /// Wraps a ready-made stream (tests, in-process providers).
    public init(_ stream: AsyncThrowingStream<CompletionEvent, any Error>) {
        makeNext = {
            var iterator = stream.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pull: () async throws -> CompletionEvent?

        public mutating func next() async throws -> CompletionEvent? { try await pull() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pull: makeNext()) }
}
