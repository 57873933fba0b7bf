import GatewayCore

/// Turns one provider's SSE events for one streamed answer into `CompletionEvent`s, keeping the usage seen so far.
///
/// A plain value with no I/O: the caller feeds events in order and forwards what comes out. Events emitted follow
/// `CompletionEvent`'s contract (one `started`, deltas, one `finished`); events after the terminal one are ignored.
/// Errors carry the usage seen so far, because a stream that fails midway is still charged for what it produced.
public protocol ProviderStreamDecoder: Sendable {
    var provider: ProviderKind { get }
    /// The model requested; events report the model the upstream names when it names one.
    var model: String { get }
    var usageSoFar: TokenUsage { get }
    /// The provider's terminal event (`[DONE]`, `message_stop`) was seen and `finished` emitted.
    var isFinished: Bool { get }

    /// Consumes one SSE event and hands the neutral events it produces (possibly none) to `emit`, in order. Throws
    /// for an upstream error event or a malformed chunk. A callback rather than an array keeps the per-token path
    /// free of allocations.
    mutating func consume(_ event: SSEEvent, _ emit: (CompletionEvent) -> Void) throws(ProviderError)
}

extension ProviderStreamDecoder {
    /// The neutral events one SSE event produces, as an array (convenient in tests).
    public mutating func consume(_ event: SSEEvent) throws(ProviderError) -> [CompletionEvent] {
        var events: [CompletionEvent] = []
        try consume(event) { events.append($0) }
        return events
    }

    /// The upstream closed the body: a stream that ends before its terminal event is cut, not finished, so this
    /// throws a `.network` error (upstream code "incomplete_stream") carrying the usage so far.
    public func finish() throws(ProviderError) {
        guard !isFinished else { return }
        throw ProviderError(
            .network, "the stream ended before its final event", provider: provider, model: model,
            upstreamCode: "incomplete_stream", usage: usageSoFar)
    }
}
