import GatewayCore
import GatewayWire
import NIOCore

/// Maps method paths to handlers, decodes requests, encodes responses and applies the call policy.
///
/// Handlers are registered with the generated method descriptors, so their request and response types come from the
/// .proto. Methods of the contract that nothing registered answer UNIMPLEMENTED with reason `not_implemented`; paths
/// outside the contract answer reason `unknown_method`.
public struct MethodRouter: Sendable {
    /// A call that runs in its own task (on the connection's event loop): it may suspend, and Cancel frames and
    /// deadlines cancel it. It returns the call's terminal frame; stream items go out through `sendFrame`.
    public typealias Invoke = @Sendable (
        _ payload: [UInt8], _ context: CallContext, _ callID: UInt64,
        _ sendFrame: @escaping @Sendable (NIOCore.ByteBuffer) async throws -> Void
    ) async throws -> NIOCore.ByteBuffer

    /// A call answered synchronously on the event loop, without a task: for handlers that never wait, such as health
    /// checks, which must stay cheap under load. It returns the call's terminal frame.
    public typealias InlineInvoke = @Sendable (_ payload: [UInt8], _ context: CallContext, _ callID: UInt64) throws
        -> NIOCore.ByteBuffer

    /// A call started on the event loop that answers later through `respond` (exactly once, on any thread), without
    /// a task: for handlers whose only wait is a store that itself answers by callback on the loop (CheckLimit on
    /// Redis). A start that throws ends the call with that error, and `respond` is then never called.
    public typealias CallbackInvoke = @Sendable (
        _ payload: [UInt8], _ context: CallContext, _ callID: UInt64,
        _ respond: @escaping @Sendable (Result<NIOCore.ByteBuffer, any Error>) -> Void
    ) throws -> Void

    /// How a route runs.
    public enum Handler: Sendable {
        case task(Invoke)
        case inline(InlineInvoke)
        case callback(CallbackInvoke)
    }

    struct Route: Sendable {
        var descriptor: RPCMethodDescriptor
        var handler: Handler
    }

    private var routes: [String: Route] = [:]
    private var known: [String: RPCMethodDescriptor] = [:]
    /// Runs before the request is decoded; a thrown error ends the call with that status.
    private let authorize: @Sendable (RPCMethodDescriptor, CallContext) throws -> Void
    /// Counts each registered method's calls by status and times them; nil when metrics are off.
    private let metrics: GatewayMetrics?

    /// `contract` lists every method of the .proto services; `authorize` is the call policy (admin access).
    public init(
        contract: [RPCMethodDescriptor],
        authorize: @escaping @Sendable (RPCMethodDescriptor, CallContext) throws -> Void = { _, _ in },
        metrics: GatewayMetrics? = nil
    ) {
        self.authorize = authorize
        self.metrics = metrics
        for m in contract { known[m.path] = m }
    }

    /// The result of looking up a path.
    public enum Lookup: Sendable {
        case found(RPCMethodDescriptor, Handler)
        case notImplemented(RPCMethodDescriptor)
        case unknown
    }

    public func lookup(_ path: String) -> Lookup {
        if let route = routes[path] { return .found(route.descriptor, route.handler) }
        if let descriptor = known[path] { return .notImplemented(descriptor) }
        return .unknown
    }

    /// Registers a unary handler that runs in a task per call.
    public mutating func unary<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, CallContext) async throws -> Response
    ) {
        precondition(method.descriptor.kind == .unary, "\(method.path) is not unary")
        let authorize = self.authorize
        let timer = metrics?.rpc(method.descriptor)
        routes[method.path] = Route(descriptor: method.descriptor, handler: .task { payload, context, callID, _ in
            let start = ContinuousClock.now
            do {
                try authorize(method.descriptor, context)
                let response = try await handler(try Self.decode(Request.self, payload), context)
                var frame = ByteBuffer()
                frame.writeResponseFrame(callID: callID, response)
                timer?.record(.ok, .now - start)
                return frame
            } catch {
                timer?.record(Self.statusCode(of: error, context), .now - start)
                throw error
            }
        })
    }

    /// Registers a unary handler that answers on the event loop without a task; it must not block.
    public mutating func inlineUnary<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, CallContext) throws -> Response
    ) {
        precondition(method.descriptor.kind == .unary, "\(method.path) is not unary")
        let authorize = self.authorize
        let timer = metrics?.rpc(method.descriptor)
        routes[method.path] = Route(descriptor: method.descriptor, handler: .inline { payload, context, callID in
            guard let timer else {
                try authorize(method.descriptor, context)
                let response = try handler(try Self.decode(Request.self, payload), context)
                var frame = ByteBuffer()
                frame.writeResponseFrame(callID: callID, response)
                return frame
            }
            let start = ContinuousClock.now
            do {
                try authorize(method.descriptor, context)
                let response = try handler(try Self.decode(Request.self, payload), context)
                var frame = ByteBuffer()
                frame.writeResponseFrame(callID: callID, response)
                timer.record(.ok, .now - start)
                return frame
            } catch {
                timer.record(Self.statusCode(of: error, context), .now - start)
                throw error
            }
        })
    }

    /// Registers a unary handler started on the event loop without a task, which answers through `respond` (exactly
    /// once, from any thread); the start must not block.
    public mutating func callbackUnary<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (
            Request, CallContext, _ respond: @escaping @Sendable (Result<Response, any Error>) -> Void) throws -> Void
    ) {
        precondition(method.descriptor.kind == .unary, "\(method.path) is not unary")
        let authorize = self.authorize
        let timer = metrics?.rpc(method.descriptor)
        routes[method.path] = Route(descriptor: method.descriptor, handler: .callback { payload, context, callID, respond in
            guard let timer else {
                try authorize(method.descriptor, context)
                try handler(try Self.decode(Request.self, payload), context) { result in
                    respond(result.map { response in
                        var frame = ByteBuffer()
                        frame.writeResponseFrame(callID: callID, response)
                        return frame
                    })
                }
                return
            }
            let start = ContinuousClock.now
            do {
                try authorize(method.descriptor, context)
                try handler(try Self.decode(Request.self, payload), context) { result in
                    switch result {
                    case .success: timer.record(.ok, .now - start)
                    case .failure(let error): timer.record(Self.statusCode(of: error, context), .now - start)
                    }
                    respond(result.map { response in
                        var frame = ByteBuffer()
                        frame.writeResponseFrame(callID: callID, response)
                        return frame
                    })
                }
            } catch {
                timer.record(Self.statusCode(of: error, context), .now - start)
                throw error
            }
        })
    }

    /// Registers a server-streaming handler; it runs in a task per call and ends the stream by returning.
    public mutating func serverStreaming<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, CallContext, StreamWriter<Response>) async throws -> Void
    ) {
        precondition(method.descriptor.kind == .serverStreaming, "\(method.path) is not server-streaming")
        let authorize = self.authorize
        let timer = metrics?.rpc(method.descriptor)
        routes[method.path] = Route(descriptor: method.descriptor, handler: .task { payload, context, callID, send in
            let start = ContinuousClock.now
            do {
                try authorize(method.descriptor, context)
                let request = try Self.decode(Request.self, payload)
                try await handler(request, context, StreamWriter(callID: callID, sendFrame: send))
                var frame = ByteBuffer()
                frame.writeFrame(.status(callID, .ok, ""))
                timer?.record(.ok, .now - start)
                return frame
            } catch {
                timer?.record(Self.statusCode(of: error, context), .now - start)
                throw error
            }
        })
    }

    /// The status a thrown error becomes on the wire (as `ConnectionHandler.rpcError` maps it, without logging). A
    /// cancellation after the call's deadline is what the client saw: DEADLINE_EXCEEDED.
    static func statusCode(of error: any Error, _ context: CallContext) -> Aigw_V1_StatusCode {
        switch error {
        case let error as RPCError: return error.code
        case let error as GatewayError: return RPCError(error).code
        case is CancellationError:
            if let deadline = context.deadline, ContinuousClock.now >= deadline { return .deadlineExceeded }
            return .cancelled
        default: return .internal
        }
    }

    private static func decode<Request: ProtoCMessage>(_ type: Request.Type, _ payload: [UInt8]) throws -> Request {
        do {
            return try Request(serializedBytes: payload)
        } catch {
            throw RPCError(.invalidArgument, "request payload is not a valid \(error.typeName)",
                           detail: .reason("malformed_payload"))
        }
    }
}
