import Foundation
import GatewayClient
import GatewayWire
import Testing

/// Bad frames on raw sockets: each gets the documented status, and the server keeps serving everyone else.
@Suite struct ProtocolErrorTests {
    /// Reads the connection-level status the server sends before closing.
    private func connectionError(_ raw: RawConnection) throws -> Aigw_V1_Status {
        while let frame = try raw.readFrame() {
            if frame.callId == 0, case .status(let status) = frame.kind { return status }
        }
        throw TestFailure("connection closed without a status frame")
    }

    @Test func oversizedFrameIsRefusedAndOthersKeepWorking() async throws {
        let server = try ServerProcess(environment: ["AIGW_MAX_FRAME_BYTES": "65536"])
        let bystander = try await server.client()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello()
        raw.send([0x00, 0x01, 0x00, 0x01])  // announces 65,537 bytes; nothing follows
        let status = try connectionError(raw)
        #expect(status.code == .resourceExhausted)
        #expect(status.detail?.reason == "frame_too_large")
        #expect(raw.isClosedByPeer())
        #expect(try await bystander.call(Aigw_V1_Admin.health, .init()).status == .serving)
        server.terminate()
    }

    @Test func garbageEnvelopeGetsAnErrorFrameAndTheConnectionCloses() async throws {
        let server = try ServerProcess()
        let bystander = try await server.client()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello()
        raw.send([0x00, 0x00, 0x00, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let status = try connectionError(raw)
        #expect(status.code == .invalidArgument)
        #expect(status.detail?.reason == "malformed_envelope")
        #expect(raw.isClosedByPeer())
        #expect(try await bystander.call(Aigw_V1_Admin.health, .init()).status == .serving)
        server.terminate()
    }

    @Test func versionMismatchIsRefused() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello(min: 2, max: 3)
        let status = try connectionError(raw)
        #expect(status.code == .failedPrecondition)
        #expect(status.detail?.reason == "unsupported_protocol_version")
        #expect(raw.isClosedByPeer())
        server.terminate()
    }

    @Test func negotiatesTheVersionInsideTheClientsRange() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello(min: 1, max: 5)
        let frame = try #require(try raw.readFrame())
        guard case .helloAck(let ack) = frame.kind else { throw TestFailure("expected hello_ack, got \(frame)") }
        #expect(ack.version == 1)
        #expect(ack.maxFrameBytes == 4 * 1024 * 1024)
        server.terminate()
    }

    @Test func requestBeforeHelloIsRefused() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        var request = Aigw_V1_Request()
        request.method = Aigw_V1_Admin.health.path
        raw.send(.with(1, .request(request)))
        let status = try connectionError(raw)
        #expect(status.code == .failedPrecondition)
        #expect(status.detail?.reason == "hello_required")
        server.terminate()
    }

    @Test func duplicateAndReservedCallIDs() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello()
        _ = try raw.readFrame()  // hello_ack
        let sleep = sleepRequest(ms: 300)
        var request = Aigw_V1_Request()
        request.method = Aigw_V1_Debug.sleep.path
        request.payload = sleep.serializedBytes()
        raw.send(.with(7, .request(request)))
        raw.send(.with(7, .request(request)))
        let duplicate = try #require(try raw.readFrame())
        #expect(duplicate.callId == 7)
        guard case .status(let status) = duplicate.kind else { throw TestFailure("expected status, got \(duplicate)") }
        #expect(status.detail?.reason == "duplicate_call_id")
        let first = try #require(try raw.readFrame())
        guard case .response = first.kind else { throw TestFailure("the first call 7 should still answer: \(first)") }
        raw.send(.with(0, .request(request)))
        let reserved = try connectionError(raw)
        #expect(reserved.detail?.reason == "reserved_call_id")
        server.terminate()
    }

    @Test func cancelFrameEndsTheCallWithCancelled() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello()
        _ = try raw.readFrame()
        let sleep = sleepRequest(ms: 30_000)
        var request = Aigw_V1_Request()
        request.method = Aigw_V1_Debug.sleep.path
        request.payload = sleep.serializedBytes()
        raw.send(.with(3, .request(request)))
        raw.send(.with(3, .cancel(Aigw_V1_Cancel())))
        let frame = try #require(try raw.readFrame())
        #expect(frame.callId == 3)
        guard case .status(let status) = frame.kind else { throw TestFailure("expected status, got \(frame)") }
        #expect(status.code == .cancelled)
        server.terminate()
    }

    @Test func pingIsAnsweredWithTheSameNonce() async throws {
        let server = try ServerProcess()
        let raw = try RawConnection(unixPath: server.socketPath)
        raw.hello()
        _ = try raw.readFrame()
        var ping = Aigw_V1_Ping()
        ping.nonce = 424242
        raw.send(.with(0, .ping(ping)))
        let frame = try #require(try raw.readFrame())
        guard case .pong(let pong) = frame.kind else { throw TestFailure("expected pong, got \(frame)") }
        #expect(pong.nonce == 424242)
        server.terminate()
    }
}
