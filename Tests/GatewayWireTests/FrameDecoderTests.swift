#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GatewayWire
import NIOCore
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    /// Real frames of different kinds and sizes: an empty envelope (length 0), small control frames, a request, and a
    /// response of about 70 KB whose length needs the third prefix byte.
    static let frames: [Aigw_V1_Frame] = {
        var hello = Aigw_V1_Hello()
        hello.minVersion = 1
        hello.maxVersion = 1
        hello.clientName = "aigwctl"

        var metadata = Aigw_V1_Metadata()
        metadata.requestId = "r-1"
        metadata.timeoutMs = 5000
        var request = Aigw_V1_Request()
        request.method = "/aigw.v1.Admin/Health"
        request.metadata = metadata

        var big = Aigw_V1_Response()
        big.payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 % 251) }

        var ping = Aigw_V1_Ping()
        ping.nonce = 42

        var goAway = Aigw_V1_GoAway()
        goAway.lastCallId = 9
        goAway.reason = "draining"

        return [
            .with(0, .hello(hello)),
            Aigw_V1_Frame(),
            .with(1, .request(request)),
            .with(1, .response(big)),
            .status(7, .unimplemented, "unknown method", reason: "unknown_method"),
            .with(0, .ping(ping)),
            .with(0, .goAway(goAway)),
        ]
    }()

    static let stream: ByteBuffer = {
        var buffer = ByteBuffer()
        for frame in frames { buffer.writeFrame(frame) }
        return buffer
    }()

    /// Feeds `chunks` to a fresh processor and returns the frame bodies it yields and the bytes it kept.
    static func process(_ chunks: [ByteBuffer], maxFrameBytes: Int = WireProtocol.defaultMaxFrameBytes) throws
        -> (bodies: [ByteBuffer], unprocessed: Int)
    {
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameBytes: maxFrameBytes))
        var out: [ByteBuffer] = []
        for chunk in chunks {
            try processor.process(buffer: chunk) { out.append($0) }
        }
        try processor.finishProcessing(seenEOF: true) { out.append($0) }
        return (out, processor.unprocessedBytes)
    }

    /// Feeds `chunks` to a fresh processor and returns the frame bodies it yields; nothing may be left over.
    static func bodies(_ chunks: [ByteBuffer], maxFrameBytes: Int = WireProtocol.defaultMaxFrameBytes) throws
        -> [ByteBuffer]
    {
        let (bodies, unprocessed) = try process(chunks, maxFrameBytes: maxFrameBytes)
        #expect(unprocessed == 0)
        return bodies
    }

    /// A frame without its payload, and the payload. Comparing 70 KB payloads with `==` in a debug build takes
    /// about a millisecond, too slow for 70,000 splits, so `sameFrames` compares payloads with memcmp.
    static func splitPayload(_ frame: Aigw_V1_Frame) -> (Aigw_V1_Frame, [UInt8]) {
        var frame = frame
        var payload: [UInt8] = []
        switch frame.kind {
        case .request(var r):
            swap(&payload, &r.payload)
            frame.kind = .request(r)
        case .response(var r):
            swap(&payload, &r.payload)
            frame.kind = .response(r)
        case .streamItem(var r):
            swap(&payload, &r.payload)
            frame.kind = .streamItem(r)
        default:
            break
        }
        return (frame, payload)
    }

    /// `a == b`, fast for large payloads.
    static func sameFrames(_ a: [Aigw_V1_Frame], _ b: [Aigw_V1_Frame]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            let (fx, px) = splitPayload(x)
            let (fy, py) = splitPayload(y)
            guard fx == fy, px.count == py.count else { return false }
            let samePayload = px.withUnsafeBytes { rx in
                py.withUnsafeBytes { ry in rx.isEmpty || memcmp(rx.baseAddress!, ry.baseAddress!, rx.count) == 0 }
            }
            guard samePayload else { return false }
        }
        return true
    }

    /// The bodies decoded as envelopes.
    static func decoded(_ bodies: [ByteBuffer]) throws -> [Aigw_V1_Frame] {
        try bodies.map { try Aigw_V1_Frame(frameBytes: $0) }
    }

    @Test func theStreamHoldsTheExpectedShapes() throws {
        // Guards the fixture itself: an empty frame and a frame longer than 64 KiB must be in the stream.
        let sizes = Self.frames.map { $0.serializedBytes().count }
        #expect(sizes.contains(0))
        #expect(sizes.contains { $0 > 65_536 })
        #expect(Self.stream.readableBytes == sizes.reduce(0, +) + 4 * sizes.count)
        // The empty frame is exactly a zero prefix.
        var empty = ByteBuffer()
        empty.writeFrame(Aigw_V1_Frame())
        #expect(empty.bytes == [0, 0, 0, 0])
    }

    @Test func oneReadYieldsEveryFrame() throws {
        let bodies = try Self.bodies([Self.stream])
        #expect(bodies.map(\.readableBytes) == Self.frames.map { $0.serializedBytes().count })
        #expect(try Self.decoded(bodies) == Self.frames)
    }

    @Test func sameFramesSeesEveryDifference() {
        // The fast comparison used below must not be vacuous.
        let frames = Self.frames
        #expect(Self.sameFrames(frames, frames))
        #expect(!Self.sameFrames(frames, Array(frames.dropLast())))
        var changed = frames
        guard case .response(var big)? = changed[3].kind else {
            Issue.record("fixture order changed")
            return
        }
        big.payload[big.payload.count - 1] ^= 1
        changed[3].kind = .response(big)
        #expect(!Self.sameFrames(frames, changed))
        changed = frames
        changed[3].callId = 2
        #expect(!Self.sameFrames(frames, changed))
        changed = frames
        changed[0] = Aigw_V1_Frame()
        #expect(!Self.sameFrames(frames, changed))
    }

    @Test func twoReadsSplitAtEveryBytePosition() throws {
        let stream = Self.stream
        let expectedBodies: [ByteBuffer] = Self.frames.map { ByteBuffer(bytes: $0.serializedBytes()) }
        var failures: [String] = []
        for cut in 0...stream.readableBytes {
            let first = stream.getSlice(at: stream.readerIndex, length: cut)!
            let second = stream.getSlice(at: stream.readerIndex + cut, length: stream.readableBytes - cut)!
            let (bodies, unprocessed) = try Self.process([first, second])
            if unprocessed != 0 {
                failures.append("split at byte \(cut): \(unprocessed) bytes left unprocessed")
            } else if bodies != expectedBodies {
                // Byte-exact bodies (ByteBuffer's == is a memcmp)...
                failures.append("split at byte \(cut): bodies of sizes \(bodies.map(\.readableBytes))")
            } else if !Self.sameFrames(try Self.decoded(bodies), Self.frames) {
                // ...and each body decodes to the original envelope.
                failures.append("split at byte \(cut): decoded frames differ from the originals")
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func oneByteAtATime() throws {
        let stream = Self.stream
        var chunks: [ByteBuffer] = []
        chunks.reserveCapacity(stream.readableBytes)
        for i in 0..<stream.readableBytes {
            chunks.append(stream.getSlice(at: stream.readerIndex + i, length: 1)!)
        }
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var out: [ByteBuffer] = []
        var yieldedAt: [Int] = []
        for (i, chunk) in chunks.enumerated() {
            try processor.process(buffer: chunk) {
                out.append($0)
                yieldedAt.append(i + 1)
            }
        }
        #expect(processor.unprocessedBytes == 0)
        #expect(try Self.decoded(out) == Self.frames)
        // Each frame is yielded exactly when its last byte arrives, not earlier and not later.
        var ends: [Int] = []
        var offset = 0
        for frame in Self.frames {
            offset += 4 + frame.serializedBytes().count
            ends.append(offset)
        }
        #expect(yieldedAt == ends)
    }

    @Test func aPartialFrameYieldsNothing() throws {
        let stream = Self.stream
        // Everything but the last byte: the last frame must not come out.
        let partial = stream.getSlice(at: stream.readerIndex, length: stream.readableBytes - 1)!
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var out: [ByteBuffer] = []
        try processor.process(buffer: partial) { out.append($0) }
        #expect(try Self.decoded(out) == Array(Self.frames.dropLast()))
        #expect(processor.unprocessedBytes > 0)
    }

    @Test(arguments: [1024, 4096, WireProtocol.defaultMaxFrameBytes])
    func anOversizedPrefixFailsBeforeAnyBodyArrives(max: Int) throws {
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameBytes: max))
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(max + 1), endianness: .big)
        let bytes = prefix.bytes
        // Three prefix bytes are not enough to know the length: no error yet.
        for b in bytes.prefix(3) {
            try processor.process(buffer: ByteBuffer(bytes: [b])) { _ in Issue.record("no frame expected") }
        }
        // The fourth completes the prefix, and the decoder refuses at once, without any body byte.
        #expect(throws: FrameError.frameTooLarge(length: max + 1, limit: max)) {
            try processor.process(buffer: ByteBuffer(bytes: [bytes[3]])) { _ in Issue.record("no frame expected") }
        }
    }

    @Test func theLargestPossiblePrefixFails() throws {
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameBytes: 1024))
        #expect(throws: FrameError.frameTooLarge(length: Int(UInt32.max), limit: 1024)) {
            try processor.process(buffer: ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])) { _ in }
        }
    }

    @Test func aFrameOfExactlyTheLimitIsAccepted() throws {
        let max = 4096
        // Find a real envelope whose encoding is exactly `max` bytes.
        var exact: Aigw_V1_Frame?
        for n in stride(from: max, through: max - 32, by: -1) {
            var response = Aigw_V1_Response()
            response.payload = [UInt8](repeating: 0xab, count: n)
            let frame = Aigw_V1_Frame.with(3, .response(response))
            if frame.serializedBytes().count == max {
                exact = frame
                break
            }
        }
        let frame = try #require(exact)
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        #expect(buffer.readableBytes == max + 4)
        #expect(buffer.getInteger(at: 0, endianness: .big, as: UInt32.self) == UInt32(max))

        let bodies = try Self.bodies([buffer], maxFrameBytes: max)
        #expect(bodies.count == 1)
        #expect(try Self.decoded(bodies) == [frame])

        // One byte more than the limit is refused.
        var response = Aigw_V1_Response()
        guard case .response(let r)? = frame.kind else { Issue.record("fixture lost its kind"); return }
        response.payload = r.payload + [0xab]
        var tooBig = ByteBuffer()
        tooBig.writeFrame(.with(3, .response(response)))
        #expect(throws: FrameError.frameTooLarge(length: max + 1, limit: max)) {
            _ = try Self.bodies([tooBig], maxFrameBytes: max)
        }
    }

    @Test func aBodyThatIsNotAnEnvelopeIsMalformed() throws {
        var buffer = ByteBuffer()
        buffer.writeLengthPrefixed(ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff, 0xff]))
        let bodies = try Self.bodies([buffer])
        let body = try #require(bodies.first)
        #expect(body.bytes == [0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(throws: FrameError.malformedEnvelope(length: 5)) {
            _ = try Aigw_V1_Frame(frameBytes: body)
        }
    }

    @Test func aTruncatedEnvelopeIsMalformed() throws {
        // A valid envelope cut short inside its request field.
        let whole = Self.frames[2].serializedBytes()
        let body = ByteBuffer(bytes: whole.dropLast(3))
        #expect(throws: FrameError.malformedEnvelope(length: whole.count - 3)) {
            _ = try Aigw_V1_Frame(frameBytes: body)
        }
    }

    @Test func frameBytesReadsOnlyTheReadableSlice() throws {
        // The decoder yields slices of a larger buffer; decoding must use the slice's bounds, not the storage.
        var buffer = ByteBuffer()
        buffer.writeBytes([0xff, 0xff])
        var ping = Aigw_V1_Ping()
        ping.nonce = 7
        let frame = Aigw_V1_Frame.with(0, .ping(ping))
        let encoded = frame.serializedBytes()
        buffer.writeBytes(encoded)
        buffer.writeBytes([0xff, 0xff, 0xff])
        let slice = buffer.getSlice(at: 2, length: encoded.count)!
        #expect(try Aigw_V1_Frame(frameBytes: slice) == frame)
    }

    @Test func writeLengthPrefixedFramesRawPayloads() throws {
        var buffer = ByteBuffer()
        buffer.writeLengthPrefixed(ByteBuffer(bytes: [1, 2, 3]))
        buffer.writeLengthPrefixed(ByteBuffer())
        #expect(buffer.bytes == [0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0])
        let bodies = try Self.bodies([buffer])
        #expect(bodies.map(\.bytes) == [[1, 2, 3], []])
    }
}
