/// An HTTP request a translator built for one provider, ready for the HTTP client: method, path, headers and body.
///
/// `path` is relative to the provider's base URL, and the base URL carries the API version prefix
/// (`https://api.openai.com/v1` + `/chat/completions`, `https://api.anthropic.com/v1` + `/messages`), so a proxy or
/// a fake upstream with its own prefix only changes the base URL.
public struct EncodedRequest: Sendable {
    public var method: String
    public var path: String
    /// In the order they should be sent. Values never contain CR or LF.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String = "POST", path: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
