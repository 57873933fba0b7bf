import Foundation
import GatewayClient
import GatewayWire
import Testing

/// The admin token rule over TCP and the Unix socket, and that the token never leaks.
@Suite struct AdminAccessTests {
    @Test func withoutATokenAdminIsUnixOnly() async throws {
        let server = try ServerProcess()
        let unix = try await server.client(server.unix)
        #expect(try await unix.call(Aigw_V1_Admin.health, .init()).status == .serving)
        let tcp = try await server.client(server.tcp)
        let error = await #expect(throws: RPCError.self) { _ = try await tcp.call(Aigw_V1_Admin.health, .init()) }
        #expect(error?.code == .permissionDenied)
        // Non-admin methods are served over TCP.
        #expect(try await tcp.call(Aigw_V1_Debug.echo, .init()).payload.isEmpty)
        server.terminate()
    }

    @Test func withATokenEveryAdminCallMustPresentIt() async throws {
        let secret = "s3cret-token-\(UUID().uuidString)"
        let server = try ServerProcess(environment: ["AIGW_ADMIN_TOKEN": secret, "AIGW_LOG_LEVEL": "trace"])
        for target in [server.tcp, server.unix] {
            let authorized = try await server.client(target, token: secret)
            #expect(try await authorized.call(Aigw_V1_Admin.health, .init()).status == .serving)
            let info = try await authorized.call(Aigw_V1_Admin.serverInfo, .init())
            #expect(!(try ProtoJSON.encode(info)).contains(secret))

            let anonymous = try await server.client(target)
            let missing = await #expect(throws: RPCError.self) {
                _ = try await anonymous.call(Aigw_V1_Admin.health, .init())
            }
            #expect(missing?.code == .unauthenticated)
            #expect(missing?.detail?.reason == "admin_token_required")

            let wrong = try await server.client(target, token: secret + "x")
            let invalid = await #expect(throws: RPCError.self) { _ = try await wrong.call(Aigw_V1_Admin.health, .init()) }
            #expect(invalid?.code == .unauthenticated)
            #expect(invalid?.detail?.reason == "admin_token_invalid")
        }
        #expect(server.terminate() == 0)
        #expect(!server.stderr.contains(secret))
        #expect(server.stderr.contains("aigw listening"))
    }
}
