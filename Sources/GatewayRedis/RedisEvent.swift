/// Something that happened to a Redis connection, reported to the client's observer (metrics count them).
///
/// Events are per connection and per incident, not per failed command: an outage that fails thousands of commands
/// while a connection backs off shows as a few `connectFailed`, never as thousands of events.
public enum RedisEvent: String, Sendable, Hashable, CaseIterable {
    /// A connect attempt (TCP, AUTH or SELECT) failed.
    case connectFailed = "connect_failed"
    /// An open connection broke: closed by Redis, reset, or an unreadable reply.
    case connectionLost = "connection_lost"
    /// A command waited longer than the command timeout; the connection was dropped.
    case commandTimeout = "command_timeout"
    /// Redis answered a command with an error reply (NOSCRIPT, which the client handles itself, excepted).
    case errorReply = "error_reply"
    /// A connection that had been up before was set up again.
    case reconnected
}
