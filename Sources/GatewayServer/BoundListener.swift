/// A listener after binding: what ServerInfo reports and what start-up prints.
public struct BoundListener: Sendable, Hashable, CustomStringConvertible {
    public var transport: Transport
    /// The socket path, or host:port with the port actually bound.
    public var address: String

    public var description: String { "\(transport.rawValue)=\(address)" }
}
