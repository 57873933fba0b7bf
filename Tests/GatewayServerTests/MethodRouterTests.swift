import GatewayCore
@testable import GatewayServer
import GatewayWire
import NIOCore
import Synchronization
import Testing

@Suite("MethodRouter")
struct MethodRouterTests {
    /// Thread-safe records of what the router called.
    final class Calls: Sendable {
        let handled = Mutex(0)
        let authorized = Mutex<[RPCMethodDescriptor]>([])
        let sent = Mutex<[ByteBuffer]>([])
    }

    static let contract = Aigw_V1_Gateway.allMethods + Aigw_V1_Admin.allMethods + Aigw_V1_Debug.allMethods
    static let garbage: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff]

    /// A router with Debug.Echo (unary, in a task), Admin.Health (unary, inline) and Debug.Ticks (streaming).
    static func router(
        _ calls: Calls,
        authorize: @escaping @Sendable (RPCMethodDescriptor, CallContext) throws -> Void = { _, _ in }
    ) -> MethodRouter {
        var router = MethodRouter(contract: contract) { method, context in
            calls.authorized.withLock { $0.append(method) }
            try authorize(method, context)
        }
        router.unary(Aigw_V1_Debug.echo) { request, _ in
            calls.handled.withLock { $0 += 1 }
            var response = Aigw_V1_EchoResponse()
            response.payload = request.payload.reversed()
            return response
        }
        router.inlineUnary(Aigw_V1_Admin.health) { _, _ in
            calls.handled.withLock { $0 += 1 }
            var response = Aigw_V1_HealthResponse()
            response.status = .serving
            return response
        }
        router.serverStreaming(Aigw_V1_Debug.ticks) { request, _, writer in
            calls.handled.withLock { $0 += 1 }
            for i in 0..<request.count {
                var tick = Aigw_V1_Tick()
                tick.index = i
                try await writer.send(tick)
            }
        }
        return router
    }

    /// Runs a found route the way the connection handler does and returns its terminal frame.
    static func invoke(
        _ router: MethodRouter, _ path: String, _ payload: [UInt8], _ calls: Calls,
        transport: Transport = .unix, callID: UInt64 = 7
    ) async throws -> ByteBuffer? {
        guard case .found(let descriptor, let handler) = router.lookup(path) else {
            Issue.record("\(path) is not registered")
            return nil
        }
        let context = makeContext(descriptor, transport: transport)
        switch handler {
        case .task(let invoke):
            return try await invoke(payload, context, callID) { frame in calls.sent.withLock { $0.append(frame) } }
        case .inline(let invoke):
            return try invoke(payload, context, callID)
        case .callback(let invoke):
            return try await withCheckedThrowingContinuation { continuation in
                do {
                    try invoke(payload, context, callID) { continuation.resume(with: $0) }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Decodes one length-prefixed frame that must fill `buffer` exactly.
    static func frame(_ buffer: ByteBuffer) throws -> Aigw_V1_Frame {
        let length = try #require(buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self))
        #expect(Int(length) == buffer.readableBytes - 4, "the prefix must count exactly the envelope")
        let body = try #require(buffer.getSlice(at: buffer.readerIndex + 4, length: buffer.readableBytes - 4))
        return try Aigw_V1_Frame(frameBytes: body)
    }

    /// The payload of a `response` frame for `callID`.
    static func responsePayload(_ buffer: ByteBuffer?, callID: UInt64 = 7) throws -> [UInt8] {
        let frame = try Self.frame(try #require(buffer))
        #expect(frame.callId == callID)
        guard case .response(let response)? = frame.kind else {
            Issue.record("expected a response frame, got \(frame)")
            return []
        }
        return response.payload
    }

    // MARK: Lookup

    @Test func lookupFindsRegisteredMethods() {
        let router = Self.router(Calls())
        guard case .found(let echo, .task) = router.lookup("/aigw.v1.Debug/Echo") else {
            Issue.record("Echo not found as a task route")
            return
        }
        #expect(echo == Aigw_V1_Debug.echo.descriptor)
        guard case .found(let health, .inline) = router.lookup("/aigw.v1.Admin/Health") else {
            Issue.record("Health not found as an inline route")
            return
        }
        #expect(health == Aigw_V1_Admin.health.descriptor)
        guard case .found(let ticks, .task) = router.lookup("/aigw.v1.Debug/Ticks") else {
            Issue.record("Ticks not found")
            return
        }
        #expect(ticks.kind == .serverStreaming)
    }

    @Test func aContractMethodNothingRegisteredIsNotImplemented() {
        let router = Self.router(Calls())
        let registered: Set<String> = ["/aigw.v1.Debug/Echo", "/aigw.v1.Debug/Ticks", "/aigw.v1.Admin/Health"]
        for method in Self.contract where !registered.contains(method.path) {
            guard case .notImplemented(let descriptor) = router.lookup(method.path) else {
                Issue.record("\(method.path) should be not implemented")
                continue
            }
            #expect(descriptor == method)
        }
    }

    @Test(arguments: [
        "/aigw.v1.Admin/Nope", "/aigw.v1.Nope/Health", "aigw.v1.Admin/Health", "/aigw.v1.admin/health",
        "/aigw.v1.Admin/Health/", "", "/",
    ])
    func otherPathsAreUnknown(path: String) {
        let router = Self.router(Calls())
        guard case .unknown = router.lookup(path) else {
            Issue.record("\(path) should be unknown")
            return
        }
    }

    @Test func aMethodOutsideTheContractCanStillBeRegistered() {
        var router = MethodRouter(contract: [])
        #expect({ if case .unknown = router.lookup(Aigw_V1_Debug.echo.path) { true } else { false } }())
        router.unary(Aigw_V1_Debug.echo) { _, _ in Aigw_V1_EchoResponse() }
        #expect({ if case .found = router.lookup(Aigw_V1_Debug.echo.path) { true } else { false } }())
    }

    // MARK: Invocation

    @Test func aValidPayloadReturnsTheEncodedResponse() async throws {
        let calls = Calls()
        let router = Self.router(calls)
        var request = Aigw_V1_EchoRequest()
        request.payload = [0, 1, 2, 3, 0xff]
        let result = try await Self.invoke(router, "/aigw.v1.Debug/Echo", request.serializedBytes(), calls, callID: 41)
        let payload = try Self.responsePayload(result, callID: 41)
        #expect(try Aigw_V1_EchoResponse(serializedBytes: payload).payload == [0xff, 3, 2, 1, 0])
        #expect(calls.handled.withLock { $0 } == 1)
        #expect(calls.authorized.withLock { $0 } == [Aigw_V1_Debug.echo.descriptor])
        #expect(calls.sent.withLock { $0 }.isEmpty, "a unary call sends nothing but its terminal frame")
    }

    @Test func anInlineRouteReturnsTheEncodedResponse() async throws {
        let calls = Calls()
        let result = try await Self.invoke(Self.router(calls), "/aigw.v1.Admin/Health", [], calls, callID: 3)
        let payload = try Self.responsePayload(result, callID: 3)
        #expect(try Aigw_V1_HealthResponse(serializedBytes: payload).status == .serving)
        #expect(calls.authorized.withLock { $0 } == [Aigw_V1_Admin.health.descriptor])
    }

    @Test func anEmptyPayloadIsAValidEmptyRequest() async throws {
        let calls = Calls()
        let result = try await Self.invoke(Self.router(calls), "/aigw.v1.Debug/Echo", [], calls)
        #expect(try Self.responsePayload(result) == [])
        #expect(calls.handled.withLock { $0 } == 1)
    }

    @Test(arguments: [
        "/aigw.v1.Debug/Echo", "/aigw.v1.Admin/Health", "/aigw.v1.Debug/Ticks",
    ], [MethodRouterTests.garbage, [0x0a, 0x05, 0x01], [0x0f]] as [[UInt8]])
    func aGarbagePayloadIsInvalidArgument(path: String, payload: [UInt8]) async throws {
        let calls = Calls()
        let router = Self.router(calls)
        let error = await #expect(throws: RPCError.self) {
            _ = try await Self.invoke(router, path, payload, calls)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.detail?.reason == "malformed_payload")
        #expect(calls.handled.withLock { $0 } == 0, "the handler must not run")
        #expect(calls.sent.withLock { $0 }.isEmpty)
    }

    @Test(arguments: ["/aigw.v1.Debug/Echo", "/aigw.v1.Admin/Health", "/aigw.v1.Debug/Ticks"])
    func authorizeRunsBeforeDecoding(path: String) async throws {
        let calls = Calls()
        let router = Self.router(calls) { _, context in
            throw GatewayError(.permissionDenied, "no", reason: "denied_for_test_\(context.transport.rawValue)")
        }
        // Even with a garbage payload, the authorization error wins.
        let error = await #expect(throws: GatewayError.self) {
            _ = try await Self.invoke(router, path, Self.garbage, calls, transport: .tcp)
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.reason == "denied_for_test_tcp")
        #expect(calls.handled.withLock { $0 } == 0, "no handler may run after a denial")
        #expect(calls.authorized.withLock { $0 }.map(\.path) == [path])
    }

    @Test func theAdminAuthorizerPlugsIn() async throws {
        let calls = Calls()
        let router = MethodRouter(contract: Self.contract, authorize: AdminAuthorizer(token: nil).authorize)
        var registered = router
        registered.inlineUnary(Aigw_V1_Admin.health) { _, _ in Aigw_V1_HealthResponse() }
        let ok = try await Self.invoke(registered, Aigw_V1_Admin.health.path, [], calls, transport: .unix)
        #expect(try Self.responsePayload(ok) == [])
        let error = await #expect(throws: GatewayError.self) {
            _ = try await Self.invoke(registered, Aigw_V1_Admin.health.path, Self.garbage, calls, transport: .tcp)
        }
        #expect(error?.code == .permissionDenied)
    }

    @Test func aStreamSendsItemFramesThenEndsWithStatusOK() async throws {
        let calls = Calls()
        var request = Aigw_V1_TicksRequest()
        request.count = 3
        let terminal = try await Self.invoke(
            Self.router(calls), "/aigw.v1.Debug/Ticks", request.serializedBytes(), calls, callID: 12)
        let end = try Self.frame(try #require(terminal))
        #expect(end == .status(12, Aigw_V1_Status()))
        let items = try calls.sent.withLock { $0 }.map { try Self.frame($0) }
        #expect(items.map(\.callId) == [12, 12, 12])
        let ticks = try items.map { frame -> UInt32 in
            guard case .streamItem(let item)? = frame.kind else {
                Issue.record("expected a stream item, got \(frame)")
                return .max
            }
            return try Aigw_V1_Tick(serializedBytes: item.payload).index
        }
        #expect(ticks == [0, 1, 2])
    }

    @Test func handlerErrorsPassThroughUnchanged() async throws {
        let calls = Calls()
        var router = MethodRouter(contract: Self.contract)
        router.unary(Aigw_V1_Debug.sleep) { _, _ in
            throw GatewayError(.deadlineExceeded, "too slow", reason: "handler_reason")
        }
        let error = await #expect(throws: GatewayError.self) {
            _ = try await Self.invoke(router, Aigw_V1_Debug.sleep.path, [], calls)
        }
        #expect(error?.reason == "handler_reason")
    }
}
