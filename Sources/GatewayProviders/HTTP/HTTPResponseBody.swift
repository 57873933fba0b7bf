/// A response body as a stream of byte chunks, each handed over as soon as libcurl has read it from the socket.
///
/// Single consumer: iterate it once, or call `collect(upTo:)` once. The sequence ends when the transfer completes and
/// throws `HTTPClientError` when it fails; chunks that arrived before a failure are delivered first, so a cut stream
/// yields its pieces and then `.network`. Cancelling the iterating task, calling `cancel()`, or dropping every copy of
/// the body (and the response holding it) before the end aborts the transfer within milliseconds and closes its
/// connection instead of returning it to the pool half-read.
///
/// When the consumer falls behind by more than `CurlHTTPClient.Configuration.bodyBufferLimit` the transfer is paused,
/// and it resumes once the consumer has caught up; the idle timeout does not run while paused.
public struct HTTPResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = HTTPClientError

    /// Aborts the transfer when the last copy of the body (and of every iterator over it) goes away.
    final class Owner: Sendable {
        let transfer: CurlTransfer

        init(_ transfer: CurlTransfer) {
            self.transfer = transfer
        }

        deinit {
            transfer.cancel()
        }
    }

    let owner: Owner

    init(transfer: CurlTransfer) {
        self.owner = Owner(transfer)
    }

    /// Iterates the chunks; see `HTTPResponseBody`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let owner: Owner

        public mutating func next() async throws(HTTPClientError) -> [UInt8]? {
            try await owner.transfer.nextChunk()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(HTTPClientError) -> [UInt8]? {
            try await owner.transfer.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(owner: owner)
    }

    /// Reads the whole body into one array. Throws `.responseTooLarge` (and aborts the transfer) when it would exceed
    /// `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws(HTTPClientError) -> [UInt8] {
        var result: [UInt8] = []
        while let chunk = try await owner.transfer.nextChunk() {
            guard result.count + chunk.count <= maxBytes else {
                cancel()
                throw HTTPClientError(.responseTooLarge, message: "the response body is larger than \(maxBytes) bytes")
            }
            if result.isEmpty {
                result = chunk
            } else {
                result.append(contentsOf: chunk)
            }
        }
        return result
    }

    /// Aborts the transfer; a pending or later `next()` throws `.cancelled`. Does nothing once the body has ended.
    public func cancel() {
        owner.transfer.cancel()
    }
}
