/// The shapes one provider puts on the wire: response bodies, stream events, errors and its request-id header.
protocol WireFormat: Sendable {
    /// `x-request-id` (OpenAI) or `request-id` (Anthropic).
    var requestIDHeader: String { get }
    /// Headers every response carries besides content type, length and request id.
    var extraHeaders: [(String, String)] { get }
    func newRequestID() -> String
    /// The error JSON for an HTTP error.
    func errorBody(status: Int, error: FakeError, param: String?, model: String?) -> JSONValue
    /// The non-stream response body.
    func completion(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> JSONValue
    /// The stream of a successful response, in parts.
    func streamScript(request: ProviderRequest, reply: FakeReply, truncated: Bool) -> StreamScript
    /// Status and error for ``FakeBehaviour/midStreamError(afterPieces:)`` on a non-stream request.
    var midStreamFailure: (status: Int, error: FakeError) { get }
}

extension FakeProvider {
    /// This provider's wire format.
    var wire: any WireFormat {
        switch self {
        case .openai: return OpenAIWire()
        case .anthropic: return AnthropicWire()
        }
    }
}

/// Random identifiers in the providers' styles.
enum RandomID {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let hexDigits = Array("0123456789abcdef")

    static func alphanumeric(_ count: Int) -> String {
        String((0..<count).map { _ in alphanumerics.randomElement()! })
    }

    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in hexDigits.randomElement()! })
    }
}
