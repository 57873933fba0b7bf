import NIOCore

extension Aigw_V1_Frame {
    /// Decodes an envelope from one frame's bytes (as `FrameDecoder` yields them).
    public init(frameBytes buffer: ByteBuffer) throws(FrameError) {
        let decoded = buffer.withUnsafeReadableBytes { try? Aigw_V1_Frame(serializedBytes: $0) }
        guard let decoded else { throw FrameError.malformedEnvelope(length: buffer.readableBytes) }
        self = decoded
    }

    /// A status frame that ends `callID` (or, with call id 0, reports a connection error).
    public static func status(
        _ callID: UInt64, _ code: Aigw_V1_StatusCode, _ message: String, reason: String = ""
    ) -> Aigw_V1_Frame {
        var status = Aigw_V1_Status()
        status.code = code
        status.message = message
        if !reason.isEmpty {
            var detail = Aigw_V1_ErrorDetail()
            detail.reason = reason
            status.detail = detail
        }
        return .status(callID, status)
    }

    public static func status(_ callID: UInt64, _ status: Aigw_V1_Status) -> Aigw_V1_Frame {
        var frame = Aigw_V1_Frame()
        frame.callId = callID
        frame.kind = .status(status)
        return frame
    }

    public static func with(_ callID: UInt64, _ kind: OneOf_Kind) -> Aigw_V1_Frame {
        var frame = Aigw_V1_Frame()
        frame.callId = callID
        frame.kind = kind
        return frame
    }
}

extension ByteBuffer {
    /// Appends `frame` with its length prefix, packing protobuf-c output straight into the buffer.
    public mutating func writeFrame(_ frame: Aigw_V1_Frame) {
        frame.withPacker { size, pack in
            self.writeInteger(UInt32(size), endianness: .big)
            guard size > 0 else { return }
            self.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                pack(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// Appends raw `payload` with a length prefix (the echo baseline's frames).
    public mutating func writeLengthPrefixed(_ payload: ByteBuffer) {
        writeInteger(UInt32(payload.readableBytes), endianness: .big)
        writeImmutableBuffer(payload)
    }
}
