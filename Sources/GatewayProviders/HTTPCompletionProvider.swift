import GatewayCore

/// A `CompletionProvider` that speaks one provider's wire format over the shared libcurl client: the translator says
/// what to send and how to read the answer; this type does the HTTP, the SSE framing and the error mapping.
///
/// Streams are parsed in the consumer's task as body chunks arrive (no extra task between upstream and caller).
/// Cancelling that task aborts the transfer; so does dropping the stream before its end.
public final class HTTPCompletionProvider<Translator: ProviderTranslator>: CompletionProvider {
    public let translator: Translator
    public let baseURL: String
    public let timeouts: HTTPTimeouts
    private let client: CurlHTTPClient
    /// The largest non-streamed body (or error body) read into memory.
    private let maxBodyBytes: Int

    public var kind: ProviderKind { translator.kind }

    public init(
        translator: Translator, client: CurlHTTPClient, baseURL: String, timeouts: HTTPTimeouts = HTTPTimeouts(),
        maxBodyBytes: Int = 16 << 20
    ) {
        self.translator = translator
        self.client = client
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeouts = timeouts
        self.maxBodyBytes = maxBodyBytes
    }

    public func complete(_ request: CompletionRequest, model: String) async throws(ProviderError) -> Completion {
        let response = try await send(try translator.encode(request, model: model, stream: false), model: model)
        let body: [UInt8]
        do {
            body = try await response.body.collect(upTo: maxBodyBytes)
        } catch {
            throw providerError(error, model: model)
        }
        guard (200..<300).contains(response.status) else {
            throw translator.decodeError(status: response.status, header: response.header, body: body, model: model)
        }
        return try translator.decodeResponse(body, model: model)
    }

    public func stream(_ request: CompletionRequest, model: String) async throws(ProviderError)
        -> CompletionEventStream
    {
        let response = try await send(try translator.encode(request, model: model, stream: true), model: model)
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            throw translator.decodeError(status: response.status, header: response.header, body: body, model: model)
        }
        let translator = self.translator
        let kind = self.kind
        return CompletionEventStream {
            let pump = StreamPump(body: response.body, reader: translator.makeStreamReader(model: model), kind: kind)
            return { try await pump.next() }
        }
    }

    private func send(_ encoded: EncodedRequest, model: String) async throws(ProviderError) -> HTTPResponse {
        let request = HTTPRequest(
            method: "POST", url: baseURL + encoded.path, headers: encoded.headers, body: encoded.body,
            timeouts: timeouts)
        do {
            return try await client.execute(request)
        } catch {
            throw providerError(error, model: model)
        }
    }

    private func providerError(_ error: HTTPClientError, model: String, usage: TokenUsage = .zero) -> ProviderError {
        Self.providerError(error, kind: kind, model: model, usage: usage)
    }

    /// How transport failures are classified: timeouts as `.timeout`, cancellation as `.cancelled`, and everything
    /// else that kept an answer from arriving (refused, reset, cut, TLS, shut down) as `.network`.
    static func providerError(_ error: HTTPClientError, kind: ProviderKind, model: String, usage: TokenUsage)
        -> ProviderError
    {
        let category: ProviderErrorCategory
        switch error.kind {
        case .timeout: category = .timeout
        case .cancelled: category = .cancelled
        case .invalidRequest: category = .invalidRequest
        case .connect, .tls, .network, .responseTooLarge, .shutdown: category = .network
        }
        return ProviderError(category, error.description, provider: kind, model: model, usage: usage)
    }

    /// One stream's parsing state, owned by the task that iterates it.
    private final class StreamPump {
        private let body: HTTPResponseBody
        private var iterator: HTTPResponseBody.AsyncIterator
        private var reader: CompletionStreamReader<Translator.StreamDecoder>
        private var pending: [CompletionEvent] = []
        private var pendingIndex = 0
        private var ended = false
        private let kind: ProviderKind

        init(body: HTTPResponseBody, reader: CompletionStreamReader<Translator.StreamDecoder>, kind: ProviderKind) {
            self.body = body
            iterator = body.makeAsyncIterator()
            self.reader = reader
            self.kind = kind
        }

        deinit {
            // Dropped before the end (the caller went away): abort the transfer rather than read it to the end.
            if !ended { body.cancel() }
        }

        func next() async throws(ProviderError) -> CompletionEvent? {
            while true {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                pending.removeAll(keepingCapacity: true)
                pendingIndex = 0
                if ended { return nil }
                if reader.isFinished {
                    // Whatever follows the terminal event is not read.
                    ended = true
                    body.cancel()
                    return nil
                }
                let chunk: [UInt8]?
                do {
                    chunk = try await iterator.next()
                } catch {
                    ended = true
                    throw HTTPCompletionProvider.providerError(
                        error, kind: kind, model: reader.decoder.model, usage: reader.usageSoFar)
                }
                guard let chunk else {
                    ended = true
                    try reader.finish()
                    return nil
                }
                do {
                    try reader.feed(chunk) { pending.append($0) }
                } catch {
                    ended = true
                    body.cancel()
                    throw error
                }
            }
        }
    }
}
