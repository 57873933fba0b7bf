import GatewayWire

/// Sends the items of one server-streaming call. `send` returns once the item is written to the socket, which gives
/// a slow reader backpressure, and throws `CancellationError` when the call has ended (cancel, deadline, hang-up).
public struct StreamWriter<Item: ProtoCMessage>: Sendable {
    let sendBytes: @Sendable ([UInt8]) async throws -> Void

    public func send(_ item: Item) async throws {
        try await sendBytes(item.serializedBytes())
    }
}
