/// The final (non-1xx) response head from an upstream, with the body still arriving.
///
/// `CurlHTTPClient.execute` returns it as soon as the head is in, so a streamed body reaches the caller byte by byte
/// (see `HTTPResponseBody`). Dropping the response without reading the body to its end aborts the transfer and closes
/// its connection.
public final class HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    public let status: Int
    /// The header fields in the order received, names as the upstream spelled them.
    public let headers: [(name: String, value: String)]
    /// The body, delivered as it arrives.
    public let body: HTTPResponseBody

    init(status: Int, headers: [(name: String, value: String)], body: HTTPResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { Self.headerName($0.name, equals: name) }?.value
    }

    /// ASCII case-insensitive comparison without allocating, since header names are ASCII tokens.
    static func headerName(_ a: String, equals b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for i in 0..<x.count where x[i] != y[i] {
                    guard x[i] | 0x20 == y[i] | 0x20, (0x61...0x7A).contains(x[i] | 0x20) else { return false }
                }
                return true
            }
        }
    }
}
