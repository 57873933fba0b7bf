import GatewayWire

/// The typed items of one server-streaming call, decoded as the consumer pulls them. Dropping the iterator before
/// the end (breaking out of a `for try await` loop) cancels the call, as the raw stream does.
public struct ResponseStream<Response: ProtoCMessage>: AsyncSequence, Sendable {
    public typealias Element = Response

    let raw: AsyncThrowingStream<[UInt8], any Error>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator

        public mutating func next() async throws -> Response? {
            guard let payload = try await raw.next() else { return nil }
            do {
                return try Response(serializedBytes: payload)
            } catch {
                throw RPCError(.internal, "server sent a malformed \(error.typeName)",
                               detail: .reason("malformed_response"))
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(raw: raw.makeAsyncIterator()) }
}
