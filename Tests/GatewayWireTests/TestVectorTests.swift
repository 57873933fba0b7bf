import Foundation
import GatewayWire
import NIOCore
import Testing

/// The test vectors of docs/protocol.md: every vector decodes to the frame its meaning describes and that frame
/// encodes back to exactly the vector's bytes.
@Suite("protocol.md test vectors")
struct TestVectorTests {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // GatewayWireTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo root

    /// (name, hex) pairs from the ```vectors block, in document order.
    static func documentedVectors() throws -> [(name: String, hex: String)] {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        var vectors: [(String, String)] = []
        var inBlock = false
        var sawBlock = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if !inBlock {
                if line == "```vectors" {
                    inBlock = true
                    sawBlock = true
                }
                continue
            }
            if line.hasPrefix("```") {
                inBlock = false
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2 else {
                Issue.record("vector line is not 'name hex': \(line)")
                continue
            }
            vectors.append((String(fields[0]), String(fields[1])))
        }
        #expect(sawBlock, "docs/protocol.md has no ```vectors block")
        #expect(!inBlock, "the ```vectors block is not closed")
        return vectors
    }

    /// The frames the meaning table of docs/protocol.md describes, built from values (not bytes).
    static let expected: [String: Aigw_V1_Frame] = {
        var frames: [String: Aigw_V1_Frame] = [:]

        var hello = Aigw_V1_Hello()
        hello.minVersion = 1
        hello.maxVersion = 1
        hello.clientName = "aigwctl"
        frames["hello"] = .with(0, .hello(hello))

        var ack = Aigw_V1_HelloAck()
        ack.version = 1
        ack.serverVersion = "0.1.0"
        ack.maxFrameBytes = 4_194_304
        ack.maxConcurrentCalls = 1024
        frames["hello_ack"] = .with(0, .helloAck(ack))

        var metadata = Aigw_V1_Metadata()
        metadata.requestId = "r-1"
        metadata.timeoutMs = 5000
        var request = Aigw_V1_Request()
        request.method = "/aigw.v1.Admin/Health"
        request.payload = []
        request.metadata = metadata
        frames["request_health"] = .with(1, .request(request))

        var health = Aigw_V1_HealthResponse()
        health.status = .serving
        var response = Aigw_V1_Response()
        response.payload = health.serializedBytes()
        frames["response_health"] = .with(1, .response(response))

        var unimplemented = Aigw_V1_Status()
        unimplemented.code = .unimplemented
        unimplemented.message = "unknown method"
        frames["status_unimplemented"] = .status(7, unimplemented)

        var tick = Aigw_V1_Tick()
        tick.index = 2
        var item = Aigw_V1_StreamItem()
        item.payload = tick.serializedBytes()
        frames["stream_item_tick"] = .with(3, .streamItem(item))

        frames["status_ok"] = .status(3, Aigw_V1_Status())
        frames["cancel"] = .with(3, .cancel(Aigw_V1_Cancel()))

        var ping = Aigw_V1_Ping()
        ping.nonce = 42
        frames["ping"] = .with(0, .ping(ping))

        var pong = Aigw_V1_Pong()
        pong.nonce = 42
        frames["pong"] = .with(0, .pong(pong))

        var goAway = Aigw_V1_GoAway()
        goAway.lastCallId = 9
        goAway.reason = "draining"
        frames["go_away"] = .with(0, .goAway(goAway))

        frames["error_frame_too_large"] = .status(
            0, .resourceExhausted, "frame too large", reason: "frame_too_large")

        return frames
    }()

    @Test func everyVectorHasAnExpectedFrameAndViceVersa() throws {
        let names = try Self.documentedVectors().map(\.name)
        #expect(!names.isEmpty)
        #expect(Set(names).count == names.count, "duplicate vector names")
        let documented = Set(names)
        let built = Set(Self.expected.keys)
        #expect(documented.subtracting(built).isEmpty, "vectors without an expected frame in this test")
        #expect(built.subtracting(documented).isEmpty, "expected frames without a vector in docs/protocol.md")
    }

    @Test func encodingEachExpectedFrameGivesTheVectorBytes() throws {
        for (name, hex) in try Self.documentedVectors() {
            let frame = try #require(Self.expected[name], "no expected frame for vector \(name)")
            var buffer = ByteBuffer()
            buffer.writeFrame(frame)
            #expect(Fixtures.hex(buffer.bytes) == hex.lowercased(), "vector \(name)")
        }
    }

    @Test func decodingEachVectorGivesTheExpectedFrame() throws {
        for (name, hex) in try Self.documentedVectors() {
            let bytes = try #require(Fixtures.bytes(hex: hex), "vector \(name) is not hex")
            try #require(bytes.count >= 4, "vector \(name) has no length prefix")
            let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            #expect(length == bytes.count - 4, "vector \(name): the prefix does not count the envelope")
            let frame = try Aigw_V1_Frame(frameBytes: ByteBuffer(bytes: bytes.dropFirst(4)))
            #expect(frame == Self.expected[name], "vector \(name)")
        }
    }

    @Test func allVectorsAsOneStreamGoThroughTheFrameDecoder() throws {
        let vectors = try Self.documentedVectors()
        var stream = ByteBuffer()
        for (name, hex) in vectors {
            stream.writeBytes(try #require(Fixtures.bytes(hex: hex), "vector \(name) is not hex"))
        }
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var decoded: [Aigw_V1_Frame] = []
        try processor.process(buffer: stream) { decoded.append(try Aigw_V1_Frame(frameBytes: $0)) }
        #expect(processor.unprocessedBytes == 0)
        #expect(decoded.count == vectors.count)
        #expect(decoded == vectors.compactMap { Self.expected[$0.name] })
    }

    @Test func documentedPayloadBytesMatchTheirMessages() throws {
        // The meaning table gives these payloads' bytes explicitly.
        var health = Aigw_V1_HealthResponse()
        health.status = .serving
        #expect(health.serializedBytes() == [0x08, 0x01])
        #expect(try Aigw_V1_HealthResponse(serializedBytes: [0x08, 0x01]) == health)
        var tick = Aigw_V1_Tick()
        tick.index = 2
        #expect(tick.serializedBytes() == [0x08, 0x02])
        #expect(try Aigw_V1_Tick(serializedBytes: [0x08, 0x02]) == tick)
        // The documented numbers of the status codes used by the vectors.
        #expect(Aigw_V1_StatusCode.unimplemented.rawValue == 12)
        #expect(Aigw_V1_StatusCode.resourceExhausted.rawValue == 8)
    }
}
