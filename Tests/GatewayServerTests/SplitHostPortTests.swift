import GatewayCore
@testable import GatewayServer
import Testing

@Suite("splitHostPort")
struct SplitHostPortTests {
    @Test(arguments: [
        ("127.0.0.1:7400", "127.0.0.1", 7400),
        ("[::1]:80", "::1", 80),
        ("[fe80::1%lo]:65535", "fe80::1%lo", 65535),
        ("localhost:0", "localhost", 0),
        ("0.0.0.0:1", "0.0.0.0", 1),
        ("example.com:443", "example.com", 443),
    ])
    func valid(input: String, host: String, port: Int) throws {
        let (h, p) = try GatewayServer.splitHostPort(input)
        #expect(h == host)
        #expect(p == port)
    }

    @Test(arguments: ["x", ":80", "h:99999", "h:-1", "h:", "h:port", "", "[]:80", "127.0.0.1", "h:65536", "h: 80"])
    func invalid(input: String) throws {
        let error = #expect(throws: GatewayError.self) {
            _ = try GatewayServer.splitHostPort(input)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.reason == "invalid_address")
    }
}
