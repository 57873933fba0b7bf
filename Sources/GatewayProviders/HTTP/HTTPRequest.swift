/// One HTTP request to an upstream, as the translators build it: method, absolute URL, headers and a complete body.
///
/// The body is sent as given with a `Content-Length`; the client adds no `Content-Type` and no `Expect` header of its
/// own, so what the upstream sees is what the caller wrote (plus `Host`, `Accept` and `User-Agent`).
public struct HTTPRequest: Sendable {
    /// The request method, e.g. `POST` or `GET`.
    public var method: String
    /// An absolute `http` or `https` URL.
    public var url: String
    /// Header fields in order. Names and values must not contain CR or LF.
    public var headers: [(name: String, value: String)]
    /// The request body; empty for none.
    public var body: [UInt8]
    /// The timeouts that bound this request.
    public var timeouts: HTTPTimeouts

    public init(
        method: String = "POST",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeouts: HTTPTimeouts = HTTPTimeouts()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    /// The value of the first header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HTTPResponse.headerName($0.name, equals: name) }?.value
    }
}
