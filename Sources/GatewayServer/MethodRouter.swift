import GatewayCore
import GatewayWire

/// Maps method paths to handlers, decodes requests, encodes responses and applies the call policy.
///
/// Handlers are registered with the generated method descriptors, so their request and response types come from the
/// .proto. Methods of the contract that nothing registered answer UNIMPLEMENTED with reason `not_implemented`; paths
/// outside the contract answer reason `unknown_method`.
public struct MethodRouter: Sendable {
    /// How a call's response leaves the handler: one message, or items through the writer and then the end.
    public typealias Invoke = @Sendable (
        _ payload: [UInt8], _ context: CallContext, _ sendItem: @escaping @Sendable ([UInt8]) async throws -> Void
    ) async throws -> [UInt8]?

    struct Route: Sendable {
        var descriptor: RPCMethodDescriptor
        var invoke: Invoke
    }

    private var routes: [String: Route] = [:]
    private var known: [String: RPCMethodDescriptor] = [:]
    /// Runs before the request is decoded; a thrown error ends the call with that status.
    private let authorize: @Sendable (RPCMethodDescriptor, CallContext) throws -> Void

    /// `contract` lists every method of the .proto services; `authorize` is the call policy (admin access).
    public init(
        contract: [RPCMethodDescriptor],
        authorize: @escaping @Sendable (RPCMethodDescriptor, CallContext) throws -> Void = { _, _ in }
    ) {
        self.authorize = authorize
        for m in contract { known[m.path] = m }
    }

    /// The result of looking up a path.
    public enum Lookup: Sendable {
        case found(RPCMethodDescriptor, Invoke)
        case notImplemented(RPCMethodDescriptor)
        case unknown
    }

    public func lookup(_ path: String) -> Lookup {
        if let route = routes[path] { return .found(route.descriptor, route.invoke) }
        if let descriptor = known[path] { return .notImplemented(descriptor) }
        return .unknown
    }

    public mutating func unary<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, CallContext) async throws -> Response
    ) {
        precondition(method.descriptor.kind == .unary, "\(method.path) is not unary")
        let authorize = self.authorize
        routes[method.path] = Route(descriptor: method.descriptor) { payload, context, _ in
            try authorize(method.descriptor, context)
            let request = try Self.decode(Request.self, payload)
            return try await handler(request, context).serializedBytes()
        }
    }

    public mutating func serverStreaming<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, CallContext, StreamWriter<Response>) async throws -> Void
    ) {
        precondition(method.descriptor.kind == .serverStreaming, "\(method.path) is not server-streaming")
        let authorize = self.authorize
        routes[method.path] = Route(descriptor: method.descriptor) { payload, context, sendItem in
            try authorize(method.descriptor, context)
            let request = try Self.decode(Request.self, payload)
            try await handler(request, context, StreamWriter(sendBytes: sendItem))
            return nil
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
