/// What can go wrong below the level of a single call. Each ends the connection (docs/protocol.md, "Bad input").
public enum FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The length prefix announced more than the configured cap.
    case frameTooLarge(length: Int, limit: Int)
    /// The bytes of a frame are not a valid `Frame` envelope.
    case malformedEnvelope(length: Int)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit):
            "frame of \(length) bytes exceeds max_frame_bytes \(limit)"
        case .malformedEnvelope(let length):
            "frame of \(length) bytes is not a valid aigw.v1.Frame envelope"
        }
    }
}
