import GatewayCore

/// A streamed answer's body bytes in, neutral `CompletionEvent`s out: an `SSEParser` feeding a provider's
/// `ProviderStreamDecoder`, with every failure reported as a `ProviderError` that carries the usage so far.
///
/// Pure and synchronous, so the HTTP layer only moves bytes: call `feed` for every read and `finish` at the end of the
/// body. Bytes after the terminal event are ignored.
public struct CompletionStreamReader<Decoder: ProviderStreamDecoder>: Sendable {
    public private(set) var decoder: Decoder
    private var parser: SSEParser

    public init(decoder: Decoder, maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        self.decoder = decoder
        self.parser = SSEParser(maxEventBytes: maxEventBytes)
    }

    public var usageSoFar: TokenUsage { decoder.usageSoFar }
    public var isFinished: Bool { decoder.isFinished }

    /// Parses one read of the body and hands the events it completes to `emit`. An SSE event larger than the limit
    /// throws `.serverError` with upstream code "event_too_large".
    public mutating func feed(_ bytes: some Collection<UInt8>, _ emit: (CompletionEvent) -> Void)
        throws(ProviderError)
    {
        guard !decoder.isFinished else { return }
        parser.append(bytes)
        while !decoder.isFinished {
            let next: SSEEvent?
            do {
                next = try parser.next()
            } catch {
                throw ProviderError(
                    .serverError, "unreadable stream: \(error.message)", provider: decoder.provider,
                    model: decoder.model, upstreamCode: "event_too_large", usage: decoder.usageSoFar)
            }
            guard let event = next else { return }
            try decoder.consume(event, emit)
        }
    }

    /// The body ended: throws `.network` ("incomplete_stream") unless the terminal event was seen.
    public mutating func finish() throws(ProviderError) {
        parser.finish()
        try decoder.finish()
    }
}
