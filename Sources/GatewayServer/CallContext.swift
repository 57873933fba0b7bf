import GatewayWire
import Logging

/// What a handler knows about the call it serves, besides the request message.
public struct CallContext: Sendable {
    public var method: RPCMethodDescriptor
    /// The id the client sent in the call's metadata, if any.
    var clientRequestID: String
    /// The server's sequence number for the call, which names it when the client sent no id.
    var sequence: UInt64
    public var transport: Transport
    /// The token from the call's metadata; handlers never log it.
    public var authToken: String
    /// When the server gives up on the call, if the client set a deadline.
    public var deadline: ContinuousClock.Instant?
    /// The connection's logger; `logger` adds the call's metadata only when a handler actually logs.
    var baseLogger: Logger

    /// The call's request id: the client's, or one generated from the server's sequence.
    public var requestID: String {
        clientRequestID.isEmpty ? RequestID.format(sequence) : clientRequestID
    }

    /// A logger with `rpc.method` and `request.id` set.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "rpc.method"] = "\(method.path)"
        logger[metadataKey: "request.id"] = "\(requestID)"
        return logger
    }
}
