import GatewayCore
@testable import GatewayServer
import GatewayWire
import Testing

@Suite("AdminAuthorizer")
struct AdminAuthorizerTests {
    static let token = "s3cret-Admin-token"
    static let admin = Aigw_V1_Admin.health.descriptor
    static let adminMethods = Aigw_V1_Admin.allMethods
    static let otherMethods = Aigw_V1_Gateway.allMethods + Aigw_V1_Debug.allMethods

    /// The error `authorize` throws, or nil when the call is allowed.
    static func denial(_ authorizer: AdminAuthorizer, _ method: RPCMethodDescriptor, _ context: CallContext)
        -> GatewayError?
    {
        do {
            try authorizer.authorize(method, context)
            return nil
        } catch let error as GatewayError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test(arguments: [Transport.unix, .tcp])
    func nonAdminServicesAlwaysPass(transport: Transport) {
        for authorizer in [AdminAuthorizer(token: Secret(Self.token)), AdminAuthorizer(token: nil)] {
            for method in Self.otherMethods {
                for presented in ["", "wrong", Self.token] {
                    let context = makeContext(method, transport: transport, authToken: presented)
                    #expect(Self.denial(authorizer, method, context) == nil, "\(method) over \(transport)")
                }
            }
        }
    }

    @Test func theServiceNameMatchesTheGeneratedService() {
        #expect(AdminAuthorizer.adminService == Aigw_V1_Admin.serviceName)
        #expect(Self.adminMethods.allSatisfy { $0.service == AdminAuthorizer.adminService })
    }

    // MARK: With a token

    @Test(arguments: [Transport.unix, .tcp])
    func theRightTokenPasses(transport: Transport) {
        let authorizer = AdminAuthorizer(token: Secret(Self.token))
        for method in Self.adminMethods {
            let context = makeContext(method, transport: transport, authToken: Self.token)
            #expect(Self.denial(authorizer, method, context) == nil, "\(method) over \(transport)")
        }
    }

    @Test(arguments: [Transport.unix, .tcp])
    func aMissingTokenIsUnauthenticated(transport: Transport) throws {
        let authorizer = AdminAuthorizer(token: Secret(Self.token))
        let error = try #require(Self.denial(authorizer, Self.admin, makeContext(transport: transport)))
        #expect(error.code == .unauthenticated)
        #expect(error.reason == "admin_token_required")
        #expect(RPCError(error).code == .unauthenticated)
    }

    @Test(arguments: [
        "wrong-token",
        String(AdminAuthorizerTests.token.dropLast()),  // a prefix
        String(AdminAuthorizerTests.token.prefix(1)),
        AdminAuthorizerTests.token + "x",  // the token plus extra
        AdminAuthorizerTests.token + AdminAuthorizerTests.token,
        AdminAuthorizerTests.token.uppercased(),
        "s3cret-Admin-tokeN",  // same length, last byte differs
        " " + AdminAuthorizerTests.token,
        AdminAuthorizerTests.token + "\0",
    ])
    func aWrongTokenIsUnauthenticated(presented: String) throws {
        let authorizer = AdminAuthorizer(token: Secret(Self.token))
        for transport in [Transport.unix, .tcp] {
            let context = makeContext(transport: transport, authToken: presented)
            let error = try #require(Self.denial(authorizer, Self.admin, context), "accepted '\(presented)'")
            #expect(error.code == .unauthenticated)
            #expect(error.reason == "admin_token_invalid")
            #expect(!error.message.contains(Self.token), "the message must not echo the token")
        }
    }

    // MARK: Without a token

    @Test(arguments: [nil, Secret("")])
    func withoutATokenUnixPasses(token: Secret?) {
        let authorizer = AdminAuthorizer(token: token)
        for method in Self.adminMethods {
            for presented in ["", "anything"] {
                let context = makeContext(method, transport: .unix, authToken: presented)
                #expect(Self.denial(authorizer, method, context) == nil)
            }
        }
    }

    @Test(arguments: [nil, Secret("")])
    func withoutATokenTCPIsDenied(token: Secret?) throws {
        let authorizer = AdminAuthorizer(token: token)
        for method in Self.adminMethods {
            for presented in ["", "anything"] {
                let context = makeContext(method, transport: .tcp, authToken: presented)
                let error = try #require(Self.denial(authorizer, method, context), "\(method) allowed over TCP")
                #expect(error.code == .permissionDenied)
                #expect(error.reason == "admin_requires_unix_socket")
                #expect(RPCError(error).code == .permissionDenied)
            }
        }
    }

    // MARK: constantTimeEquals

    @Test(arguments: [
        ("abc", "abc", true),
        ("", "", true),
        ("ключ-🔑", "ключ-🔑", true),
        ("abd", "abc", false),
        ("xbc", "abc", false),
        ("ab", "abc", false),
        ("abcd", "abc", false),
        ("", "abc", false),
        ("abc", "", false),
        ("abc\0", "abc", false),
        ("\0\0\0", "\0\0\0", true),
        ("\0\0\0", "\0\0", false),
    ])
    func constantTimeEquals(presented: String, secret: String, equal: Bool) {
        #expect(AdminAuthorizer.constantTimeEquals(Array(presented.utf8), Array(secret.utf8)) == equal)
    }

    @Test func constantTimeEqualsFindsADifferenceAtEveryPosition() {
        let secret = Array(Self.token.utf8)
        for i in secret.indices {
            for flip: UInt8 in [0x01, 0x80, 0xff] {
                var presented = secret
                presented[i] ^= flip
                #expect(!AdminAuthorizer.constantTimeEquals(presented, secret), "byte \(i) ^ \(flip)")
            }
        }
        #expect(AdminAuthorizer.constantTimeEquals(secret, secret))
    }
}
