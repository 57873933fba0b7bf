/// Whether a method answers once or with a stream.
public enum RPCKind: Sendable, Hashable {
    case unary
    case serverStreaming
}

/// A method without its message types: what routing, logging and listings need.
public struct RPCMethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var name: String
    public var kind: RPCKind

    /// The wire name, "/aigw.v1.Service/Method", carried in `Request.method`.
    public var path: String { "/\(service)/\(name)" }

    public var description: String { path }

    public init(service: String, name: String, kind: RPCKind) {
        self.service = service
        self.name = name
        self.kind = kind
    }
}

/// A method with its request and response types, so clients and servers are typed by the generated code.
public struct RPCMethod<Request: ProtoCMessage, Response: ProtoCMessage>: Sendable {
    public let descriptor: RPCMethodDescriptor

    public init(service: String, name: String, kind: RPCKind) {
        descriptor = RPCMethodDescriptor(service: service, name: name, kind: kind)
    }

    public var path: String { descriptor.path }
}
