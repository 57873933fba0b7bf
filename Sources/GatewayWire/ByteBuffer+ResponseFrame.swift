import NIOCore

extension ByteBuffer {
    /// Appends `Frame{call_id, response{payload: message}}`, packing `message` straight into the buffer.
    ///
    /// The result is byte-for-byte what `writeFrame(.with(callID, .response(...)))` writes (a test checks this), but
    /// the message is packed once, in place, instead of into a temporary array that is then copied into a second C
    /// tree and packed again. Responses and stream items are the frames a server writes most.
    @inlinable
    public mutating func writeResponseFrame<Message: ProtoCMessage>(callID: UInt64, _ message: Message) {
        writeWrappedPayloadFrame(callID: callID, kindField: 5, message)
    }

    /// Appends `Frame{call_id, stream_item{payload: message}}`, packing `message` in place.
    @inlinable
    public mutating func writeStreamItemFrame<Message: ProtoCMessage>(callID: UInt64, _ message: Message) {
        writeWrappedPayloadFrame(callID: callID, kindField: 6, message)
    }

    /// `Frame.<kindField>` is a message whose field 1 is `bytes payload` (Response and StreamItem both are).
    /// Inlinable with the two above, so each handler's copy is specialized for its message type.
    @inlinable
    mutating func writeWrappedPayloadFrame<Message: ProtoCMessage>(
        callID: UInt64, kindField: UInt8, _ message: Message
    ) {
        message.withPacker { size, pack in
            // proto3 leaves out zero and empty fields, as protobuf-c's packer does.
            let inner = size == 0 ? 0 : 1 + Self.varintSize(UInt64(size)) + size
            let callIDBytes = callID == 0 ? 0 : 1 + Self.varintSize(callID)
            let envelope = callIDBytes + 1 + Self.varintSize(UInt64(inner)) + inner
            reserveCapacity(minimumWritableBytes: 4 + envelope)
            writeInteger(UInt32(envelope), endianness: .big)
            if callID != 0 {
                writeInteger(UInt8(0x08))  // field 1 (call_id), varint
                writeVarint(callID)
            }
            writeInteger(kindField << 3 | 2)  // the kind's field, length-delimited
            writeVarint(UInt64(inner))
            guard size > 0 else { return }
            writeInteger(UInt8(0x0A))  // field 1 (payload), length-delimited
            writeVarint(UInt64(size))
            writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                pack(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    @inlinable
    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    @inlinable
    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
