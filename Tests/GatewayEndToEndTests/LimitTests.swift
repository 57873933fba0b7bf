import Foundation
import GatewayClient
import GatewayWire
import Testing

/// CheckLimit, GetLimits and ResetLimits against a real aigw on the embedded store, and `aigwctl limits`.
@Suite struct LimitTests {
    static func caller(_ user: String, _ org: String, _ endpoint: Aigw_V1_Endpoint = .chat) -> Aigw_V1_CheckLimitRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = user
        caller.orgId = org
        caller.endpoint = endpoint
        var request = Aigw_V1_CheckLimitRequest()
        request.caller = caller
        return request
    }

    /// A server whose chat org limit is a strict 3 per minute, from a YAML file.
    static func server() throws -> ServerProcess {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-limits-\(UUID().uuidString).yaml")
        try "limits:\n  chat:\n    org: 3/1m sliding_window\n".write(to: config, atomically: true, encoding: .utf8)
        return try ServerProcess(arguments: ["--config", config.path])
    }

    @Test func theDefaultUserLimitAllowsTenChatCallsAMinute() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        // All eleven at once, so a token cannot refill between them even on a slow, loaded machine (one refills in
        // 6 s).
        let answers = try await withThrowingTaskGroup(of: Aigw_V1_CheckLimitResponse.self) { group in
            for _ in 0..<11 { group.addTask { try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller("u1", "o1")) } }
            var all: [Aigw_V1_CheckLimitResponse] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.filter(\.allowed).count == 10)
        let denied = try #require(answers.first { !$0.allowed })
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .user)
        #expect(denied.limit == 10)
        #expect(denied.remaining == 0)
        // One token of a 10-per-minute bucket refills in 6 s, less the real time the eleven calls took.
        #expect((1...6_000).contains(denied.retryAfterMs))
        let headers = Dictionary(uniqueKeysWithValues: RateLimitHeaders.headers(for: denied, nowUnixMillis: denied.resetAtUnixMs - 60_000))
        #expect(headers["RateLimit-Limit"] == "10")
        #expect(headers["RateLimit-Remaining"] == "0")
        #expect(headers["Retry-After"] == String((denied.retryAfterMs + 999) / 1000))
        #expect(headers["RateLimit-Reset"] == "60")
        server.terminate()
    }

    @Test func anOrgDenialConsumesNothingAndResetRestores() async throws {
        let server = try Self.server()
        let client = try await server.client()
        for user in ["a", "a", "b"] {
            #expect(try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller(user, "acme")).allowed)
        }
        let denied = try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller("a", "acme"))
        #expect(!denied.allowed)
        #expect(denied.deniedBy == .org)
        #expect(denied.levels.map(\.level) == [.user, .org])

        var get = Aigw_V1_GetLimitsRequest()
        get.userId = "a"
        get.endpoint = .chat
        let status = try await client.call(Aigw_V1_Admin.getLimits, get)
        // User a spent two units; the denied third took nothing.
        #expect(status.limits.map(\.remaining) == [8])

        var reset = Aigw_V1_ResetLimitsRequest()
        reset.endpoint = .chat
        reset.orgId = "acme"
        #expect(try await client.call(Aigw_V1_Admin.resetLimits, reset).resetCount == 1)
        #expect(try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller("a", "acme")).allowed)
        server.terminate()
    }

    @Test func peekDoesNotConsume() async throws {
        let server = try Self.server()
        let client = try await server.client()
        var peek = Self.caller("p", "peekers")
        peek.peek = true
        for _ in 0..<5 { #expect(try await client.call(Aigw_V1_Gateway.checkLimit, peek).remaining == 3) }
        var cost = Self.caller("p", "peekers")
        cost.cost = 3
        #expect(try await client.call(Aigw_V1_Gateway.checkLimit, cost).allowed)
        #expect(!(try await client.call(Aigw_V1_Gateway.checkLimit, peek)).allowed)
        server.terminate()
    }

    @Test func badRequestsGetInvalidArgument() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let noCaller = await #expect(throws: RPCError.self) {
            _ = try await client.call(Aigw_V1_Gateway.checkLimit, Aigw_V1_CheckLimitRequest())
        }
        #expect(noCaller?.detail?.reason == "missing_caller")
        let noEndpoint = await #expect(throws: RPCError.self) {
            _ = try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller("u", "o", .unspecified))
        }
        #expect(noEndpoint?.code == .invalidArgument)
        let resetWithoutEndpoint = await #expect(throws: RPCError.self) {
            _ = try await client.call(Aigw_V1_Admin.resetLimits, Aigw_V1_ResetLimitsRequest())
        }
        #expect(resetWithoutEndpoint?.detail?.reason == "missing_endpoint")
        server.terminate()
    }

    @Test func aigwctlShowsAndResetsLimits() async throws {
        let server = try Self.server()
        let client = try await server.client()
        for _ in 0..<2 { _ = try await client.call(Aigw_V1_Gateway.checkLimit, Self.caller("cli", "cli-org")) }
        let aigwctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let shown = try CLI.run(aigwctl, ["limits", "get", "--socket", server.socketPath, "--org", "cli-org",
                                          "--endpoint", "chat"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("sliding_window"))
        #expect(shown.stdout.contains("cli-org"))
        let reset = try CLI.run(aigwctl, ["limits", "reset", "--socket", server.socketPath, "--endpoint", "chat"])
        #expect(reset.status == 0)
        #expect(reset.stdout.contains("reset 2 counter(s)"))
        let bad = try CLI.run(aigwctl, ["limits", "reset", "--socket", server.socketPath, "--endpoint", "nope"])
        #expect(bad.status != 0)
        server.terminate()
    }
}

/// Several aigw processes behind one Redis enforce one limit between them.
@Suite struct SharedLimitTests {
    static let redisURL = ProcessInfo.processInfo.environment["AIGW_TEST_REDIS_URL"]
    static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(.enabled(if: redisURL != nil || underCI, "needs the Redis that `make test` starts"))
    func twoInstancesOnOneRedisAllowExactlyTheLimit() async throws {
        guard let url = Self.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        // Exactness is under test, not the failure policy: a generous command timeout keeps a loaded CI machine from
        // turning slow replies into fail-open allows.
        let environment = [
            "REDIS_URL": url, "AIGW_LIMIT_CHAT_USER": "100/1h sliding_window", "AIGW_LIMIT_CHAT_ORG": "off",
            "AIGW_REDIS_COMMAND_TIMEOUT_MS": "5000",
        ]
        let first = try ServerProcess(environment: environment)
        let second = try ServerProcess(environment: environment)
        let clients = [try await first.client(), try await second.client()]
        for client in clients {
            let info = try await client.call(Aigw_V1_Admin.serverInfo, .init())
            #expect(info.storeBackend == "redis")
            let health = try await client.call(Aigw_V1_Admin.health, .init())
            #expect(health.components.contains { $0.name == "store.redis" && $0.healthy })
        }
        let request = LimitTests.caller("exact-\(UUID().uuidString)", "")
        let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<1_000 {
                let client = clients[i % 2]
                group.addTask { try await client.call(Aigw_V1_Gateway.checkLimit, request).allowed }
            }
            var n = 0
            for try await ok in group where ok { n += 1 }
            return n
        }
        #expect(allowed == 100)
        #expect(first.terminate() == 0)
        #expect(second.terminate() == 0)
    }
}
