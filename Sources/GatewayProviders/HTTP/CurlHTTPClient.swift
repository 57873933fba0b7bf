/// An HTTP/1.1 and HTTP/2 client for upstream providers, built on libcurl's multi interface.
///
/// All network I/O runs on one dedicated thread per client (see `CurlMultiLoop`); `execute` and body iteration only
/// suspend. Connections are kept alive and reused across requests, and concurrent requests to an h2 upstream share one
/// connection. TLS verifies the peer and host against the system CA store. Redirects are not followed and no
/// `Expect: 100-continue` round trip is made. Every request carries connect, first-byte, idle and total timeouts, and
/// cancelling the awaiting task aborts the transfer within milliseconds and closes its connection.
///
/// Create one client per process (or per upstream pool) and share it; call `shutdown()` when done (deinit also shuts
/// down).
public final class CurlHTTPClient: Sendable {
    private let loop: CurlMultiLoop

    /// Starts the client's curl thread. Throws `.network` when libcurl cannot be initialised.
    public init(configuration: Configuration = Configuration()) throws(HTTPClientError) {
        self.loop = try CurlMultiLoop(configuration: configuration)
    }

    deinit {
        loop.shutdown()
    }

    /// Sends `request` and returns once the final (non-1xx) response head has arrived; the body then streams through
    /// `HTTPResponse.body`. Any status is a response, not an error: errors are failures to get one.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        guard !Task.isCancelled else { throw HTTPClientError(.cancelled, message: "the request was cancelled") }
        let transfer = try CurlTransfer(request: request, loop: loop, bufferLimit: loop.configuration.bodyBufferLimit)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: TransferChannel.HeadContinuation) in
                guard transfer.channel.setHeadWaiter(continuation) else { return }
                if !loop.enqueue(.add(transfer)) {
                    transfer.channel.finish(
                        .failure(HTTPClientError(.shutdown, message: "the HTTP client is shut down"))
                    )
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        return try result.get()
    }

    /// Aborts every transfer in flight with `.shutdown`, stops the curl thread and waits for it to exit (briefly: the
    /// thread only has to remove its handles). Later requests fail with `.shutdown`. Idempotent.
    public func shutdown() {
        loop.shutdown()
    }

    /// Counters since the client started.
    public var stats: Stats {
        Stats(
            transfersStarted: loop.transfersStarted.load(ordering: .relaxed),
            transfersCompleted: loop.transfersCompleted.load(ordering: .relaxed),
            transfersFailed: loop.transfersFailed.load(ordering: .relaxed),
            transfersCancelled: loop.transfersCancelled.load(ordering: .relaxed),
            connectionsOpened: loop.connectionsOpened.load(ordering: .relaxed),
            bodyPauses: loop.bodyPauses.load(ordering: .relaxed)
        )
    }
}
