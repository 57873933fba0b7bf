/// The four clocks that bound one upstream exchange; each expiry is reported as its own
/// `HTTPClientError.TimeoutPhase`.
///
/// `idle` is what catches a stream that stalls halfway: a model that stops emitting tokens would otherwise hold the
/// request until `total`. libcurl's own low-speed limit only has second granularity, so the client tracks the time of
/// the last body bytes itself.
public struct HTTPTimeouts: Sendable, Hashable {
    /// DNS, TCP and TLS together. Unused when a pooled connection is reused.
    public var connect: Duration
    /// From the start of the request until the final response head has arrived.
    public var firstByte: Duration
    /// The longest allowed gap between body bytes (and between the head and the first body bytes). Not counted while
    /// the client has paused the transfer because the consumer is behind.
    public var idle: Duration
    /// From the start of the request until the body has ended.
    public var total: Duration

    public init(
        connect: Duration = .seconds(10),
        firstByte: Duration = .seconds(60),
        idle: Duration = .seconds(60),
        total: Duration = .seconds(600)
    ) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}
