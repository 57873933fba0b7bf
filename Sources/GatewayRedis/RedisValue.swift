/// A reply from Redis. Bulk strings are bytes (commands and replies are binary-safe); errors are thrown as
/// `RedisError.server` rather than returned.
public enum RedisValue: Sendable, Hashable {
    case bulk([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    case null

    /// The value as text, for bulk and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let s): s
        default: nil
        }
    }

    public var integer: Int64? {
        if case .integer(let n) = self { return n }
        return nil
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
