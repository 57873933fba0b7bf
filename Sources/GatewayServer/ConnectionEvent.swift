/// Events the server sends down each connection's pipeline during shutdown.
enum ConnectionEvent: Sendable {
    /// Send GoAway, refuse new calls, close once in-flight calls end.
    case drain
    /// The grace period is over: end the remaining calls with UNAVAILABLE and close.
    case forceClose
}
