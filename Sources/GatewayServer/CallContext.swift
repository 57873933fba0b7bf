import GatewayWire
import Logging

/// What a handler knows about the call it serves, besides the request message.
public struct CallContext: Sendable {
    public var method: RPCMethodDescriptor
    public var requestID: String
    public var transport: Transport
    /// The token from the call's metadata; handlers never log it.
    public var authToken: String
    /// When the server gives up on the call, if the client set a deadline.
    public var deadline: ContinuousClock.Instant?
    public var logger: Logger
}
