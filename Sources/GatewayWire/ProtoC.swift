import CGatewayProto
import CProtobufC

/// Reading helpers for the generated bridge: C values out of an unpacked protobuf-c message.
public enum ProtoC {
    public static func string(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    public static func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    public static func array<C, S>(_ p: UnsafeMutablePointer<C>?, _ count: Int, _ convert: (C) -> S) -> [S] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(convert)
    }
}
