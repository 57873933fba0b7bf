import GatewayWire
import NIOCore

/// Sends the items of one server-streaming call. `send` returns at once while the connection is writable and waits for
/// the write to drain once its buffer is past the high-water mark, which gives a slow reader backpressure, and
/// throws `CancellationError` when the call has ended (cancel, deadline, hang-up).
public struct StreamWriter<Item: ProtoCMessage>: Sendable {
    let callID: UInt64
    let sendFrame: @Sendable (ByteBuffer) async throws -> Void

    public func send(_ item: Item) async throws {
        var frame = ByteBuffer()
        frame.writeStreamItemFrame(callID: callID, item)
        try await sendFrame(frame)
    }
}
