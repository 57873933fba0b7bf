import GatewayWire
import NIOCore
import Testing

/// `writeResponseFrame` and `writeStreamItemFrame` hand-write the envelope around an in-place packed message; they
/// must produce exactly what the generic `writeFrame` does.
@Suite("ByteBuffer response frames")
struct ResponseFrameTests {
    /// Call ids around every varint length boundary, 0 (omitted by proto3) and the largest.
    static let callIDs: [UInt64] = [0, 1, 127, 128, 16_383, 16_384, 1 << 21, 1 << 35, .max]

    /// Messages whose encodings are empty, tiny, and around the one-, two- and three-byte length boundaries.
    static var messages: [Aigw_V1_EchoResponse] {
        // EchoResponse{payload: n bytes} encodes as 1 tag byte + varint(n) + n bytes.
        [0, 1, 2, 100, 124, 125, 126, 127, 128, 16_379, 16_380, 16_381, 16_384, 70_000].map { n in
            var m = Aigw_V1_EchoResponse()
            m.payload = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            return m
        }
    }

    @Test func responseFramesMatchWriteFrame() throws {
        for callID in Self.callIDs {
            for message in Self.messages {
                var fast = ByteBuffer()
                fast.writeResponseFrame(callID: callID, message)
                var response = Aigw_V1_Response()
                response.payload = message.serializedBytes()
                var generic = ByteBuffer()
                generic.writeFrame(.with(callID, .response(response)))
                #expect(fast == generic, "call \(callID), payload of \(message.payload.count) bytes")
            }
        }
    }

    @Test func streamItemFramesMatchWriteFrame() throws {
        for callID in Self.callIDs {
            for message in Self.messages {
                var fast = ByteBuffer()
                fast.writeStreamItemFrame(callID: callID, message)
                var item = Aigw_V1_StreamItem()
                item.payload = message.serializedBytes()
                var generic = ByteBuffer()
                generic.writeFrame(.with(callID, .streamItem(item)))
                #expect(fast == generic, "call \(callID), payload of \(message.payload.count) bytes")
            }
        }
    }

    @Test func theDocumentedVectorsComeOutOfTheFastPath() throws {
        // response_health and stream_item_tick from docs/protocol.md.
        var health = Aigw_V1_HealthResponse()
        health.status = .serving
        var buffer = ByteBuffer()
        buffer.writeResponseFrame(callID: 1, health)
        #expect(Fixtures.hex(buffer.bytes) == "0000000808012a040a020801")
        var tick = Aigw_V1_Tick()
        tick.index = 2
        buffer.clear()
        buffer.writeStreamItemFrame(callID: 3, tick)
        #expect(Fixtures.hex(buffer.bytes) == "00000008080332040a020802")
    }

    @Test func framesAppendToExistingContent() throws {
        var buffer = ByteBuffer(bytes: [0xaa, 0xbb])
        var ping = Aigw_V1_Ping()
        ping.nonce = 1
        buffer.writeResponseFrame(callID: 5, ping)
        buffer.writeStreamItemFrame(callID: 6, ping)
        #expect(buffer.readInteger(as: UInt16.self) == 0xaabb)
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var frames: [Aigw_V1_Frame] = []
        try processor.process(buffer: buffer) { frames.append(try Aigw_V1_Frame(frameBytes: $0)) }
        var response = Aigw_V1_Response()
        response.payload = ping.serializedBytes()
        var item = Aigw_V1_StreamItem()
        item.payload = ping.serializedBytes()
        #expect(frames == [.with(5, .response(response)), .with(6, .streamItem(item))])
    }
}
