/// One thing the connection handler does while answering a request. A response is planned as a list of steps by
/// ``ResponsePlanner`` (pure, testable without I/O) and then carried out in order by the handler.
enum ResponseStep: Sendable, Equatable {
    /// Write the response head.
    case head(status: Int, headers: [Header])
    /// Write bytes of the body (one chunk, when the body is chunked).
    case body([UInt8])
    /// Flush what was written so far to the socket.
    case flush
    /// Flush, then wait before the next step.
    case delay(milliseconds: Int)
    /// Finish the response (the final chunk for a chunked body) and flush; the connection is then free for the
    /// next request.
    case end
    /// Flush, then close the connection (FIN), leaving the response unfinished.
    case close
    /// Close the connection with a TCP RST (SO_LINGER 0).
    case reset
    /// Flush, then do nothing more; the connection stays open and busy.
    case stall

    /// One response header field.
    struct Header: Sendable, Equatable {
        var name: String
        var value: String

        init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }
}
