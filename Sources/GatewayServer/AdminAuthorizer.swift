import GatewayCore
import GatewayWire

/// The Admin access rule: with a token configured, every Admin call must present it (compared in constant time);
/// without one, Admin is served only on the Unix socket, whose file mode is the access control.
public struct AdminAuthorizer: Sendable {
    public static let adminService = "aigw.v1.Admin"

    let token: [UInt8]?

    public init(token: Secret?) {
        self.token = token.flatMap { $0.isEmpty ? nil : Array($0.value.utf8) }
    }

    public func authorize(_ method: RPCMethodDescriptor, _ context: CallContext) throws {
        guard method.service == Self.adminService else { return }
        if let token {
            guard Self.constantTimeEquals(Array(context.authToken.utf8), token) else {
                throw GatewayError(
                    .unauthenticated,
                    context.authToken.isEmpty ? "admin methods require the admin token" : "invalid admin token",
                    reason: context.authToken.isEmpty ? "admin_token_required" : "admin_token_invalid")
            }
            return
        }
        guard context.transport == .unix else {
            throw GatewayError(
                .permissionDenied,
                "admin methods are served only on the Unix socket when no admin token is configured",
                reason: "admin_requires_unix_socket")
        }
    }

    /// Compares without an early exit, so the time taken does not reveal how many leading bytes matched; it depends
    /// only on the configured token's length.
    static func constantTimeEquals(_ presented: [UInt8], _ secret: [UInt8]) -> Bool {
        var diff: UInt8 = presented.count == secret.count ? 0 : 1
        for i in 0..<secret.count {
            diff |= (i < presented.count ? presented[i] : 0) ^ secret[i]
        }
        return diff == 0
    }
}
