import NIOCore

/// Splits a byte stream into length-prefixed frames, enforcing a hard size cap before buffering anything.
///
/// It yields each frame's bytes without the prefix and does not decode them, so the same decoder serves the RPC
/// connection (which then decodes a `Frame` envelope) and the raw echo baseline the benchmark compares against.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = WireProtocol.defaultMaxFrameBytes) {
        precondition(maxFrameBytes > 0 && maxFrameBytes <= Int(UInt32.max))
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard Int(length) <= maxFrameBytes else {
            throw FrameError.frameTooLarge(length: Int(length), limit: maxFrameBytes)
        }
        guard buffer.readableBytes >= WireProtocol.lengthPrefixBytes + Int(length) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: WireProtocol.lengthPrefixBytes)
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}
