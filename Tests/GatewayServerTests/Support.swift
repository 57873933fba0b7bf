@testable import GatewayServer
import GatewayWire
import Logging

/// A `CallContext` as the connection handler would build it.
func makeContext(
    _ method: RPCMethodDescriptor = Aigw_V1_Admin.health.descriptor,
    transport: Transport = .unix,
    authToken: String = "",
    requestID: String = "req-1"
) -> CallContext {
    CallContext(
        method: method, clientRequestID: requestID, sequence: 1, transport: transport, authToken: authToken, deadline: nil,
        baseLogger: Logger(label: "aigw.test"))
}
