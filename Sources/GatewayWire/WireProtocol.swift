/// Constants of the framing protocol that both ends must agree on (docs/protocol.md).
public enum WireProtocol {
    /// The protocol version this build speaks. A server accepts a client whose Hello range contains it.
    public static let version: UInt32 = 1
    /// Bytes of the big-endian length prefix before each envelope.
    public static let lengthPrefixBytes = 4
    /// Default cap on one envelope's size.
    public static let defaultMaxFrameBytes = 4 * 1024 * 1024
    /// `call_id` of connection-level frames.
    public static let connectionCallID: UInt64 = 0
}
