/// The fields of a provider's JSON error object that classification needs: OpenAI's `{"error": {message, type,
/// param, code}}` and Anthropic's `{"type": "error", "error": {type, message}}` both read into it.
struct UpstreamErrorBody: Sendable, Hashable {
    var message: String?
    var type: String?
    /// A string or a number upstream; kept as text.
    var code: String?
    var param: String?
    /// Anthropic puts the request id in the body too.
    var requestID: String?

    /// Reads the inner error object (the value of `"error"`); a bare string is read as the message.
    static func read(_ reader: inout JSONReader) throws(JSONReaderError) -> UpstreamErrorBody {
        var body = UpstreamErrorBody()
        switch try reader.peekKind() {
        case .object:
            try reader.readObject { key, r throws(JSONReaderError) in
                switch key {
                case "message": body.message = try r.readScalarText()
                case "type": body.type = try r.readScalarText()
                case "code": body.code = try r.readScalarText()
                case "param": body.param = try r.readScalarText()
                default: break
                }
            }
        case .string:
            body.message = try reader.readString()
        default:
            try reader.skipValue()
        }
        return body
    }
}
