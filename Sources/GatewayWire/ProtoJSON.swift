import Foundation

/// Helpers for the generated `Encodable` conformances, which follow the protobuf JSON mapping's field names.
public enum ProtoJSON {
    /// Bytes are base64 in the protobuf JSON mapping.
    public static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Keys of a message without fields.
    public enum NoKeys: CodingKey {}

    /// Pretty, key-sorted JSON, as `aigwctl --json` prints it.
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
