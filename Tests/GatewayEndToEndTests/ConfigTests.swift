import Foundation
import GatewayClient
import GatewayWire
import Testing

/// GetConfig and UpdateConfig through real aigw processes: the price table changes at run time, bad patches are
/// refused whole with the key named, and on Redis a change made through one instance reaches the other within a
/// second.
@Suite(.serialized) struct ConfigTests {
    static func update(_ client: GatewayClient, _ yaml: String, expected: UInt64 = 0, dryRun: Bool = false)
        async throws -> Aigw_V1_UpdateConfigResponse
    {
        var request = Aigw_V1_UpdateConfigRequest()
        request.yamlPatch = yaml
        request.expectedRevision = expected
        request.dryRun = dryRun
        return try await client.call(Aigw_V1_Admin.updateConfig, request)
    }

    static func cost(_ client: GatewayClient, _ id: String, model: String = "gpt-4o-mini") async throws -> Int64 {
        try await client.call(Aigw_V1_Gateway.trackUsage, UsageTests.track(id, model: model)).costNanoUsd
    }

    static func expectRefused(_ client: GatewayClient, _ yaml: String, reason: String, naming key: String,
                              sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            _ = try await update(client, yaml)
            Issue.record("expected \(reason)", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.detail?.reason == reason, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(key), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func pricesChangeAtRunTimeAndBadPatchesAreRefusedWhole() async throws {
        let server = try ServerProcess(environment: ["OPENAI_API_KEY": "sk-secret-value"])
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close() } }

        let before = try await client.call(Aigw_V1_Admin.getConfig, Aigw_V1_GetConfigRequest())
        #expect(before.revision == 0)
        #expect(before.yaml.contains("\"gpt-4o-mini\": {input_per_1k: 0.00015"))
        #expect(before.yaml.contains("api_key: <redacted>") && !before.yaml.contains("sk-secret-value"))
        #expect(try await Self.cost(client, "a") == 450_000)

        let dry = try await Self.update(client, "prices:\n  gpt-4o-mini: {output_per_1k: 0.0012}", dryRun: true)
        #expect(dry.yaml.contains("output_per_1k: 0.0012"))
        #expect(try await Self.cost(client, "b") == 450_000, "a dry run applies nothing")

        let applied = try await Self.update(client, "prices:\n  gpt-4o-mini: {output_per_1k: 0.0012}")
        #expect(applied.revision == 1)
        #expect(try await Self.cost(client, "c") == 150_000 + 600_000, "1,000 x 150 + 500 x 1,200")

        // A new model, then an unknown key, a bad value and a key that is not run-time: each refused whole.
        _ = try await Self.update(client, "prices.home-llm.input_per_1k: 0.0001\nprices.home-llm.output_per_1k: 0.0002")
        #expect(try await Self.cost(client, "d", model: "home-llm") == 100_000 + 100_000)
        await Self.expectRefused(client, "prices.gpt-4o.output_per_1k: 1\nserver.tcp: 127.0.0.1:1",
                                 reason: "not_runtime_updatable", naming: "server.tcp")
        await Self.expectRefused(client, "prices.gpt-4o.output_per_1k: lots", reason: "invalid_config",
                                 naming: "prices.gpt-4o.output_per_1k")
        await Self.expectRefused(client, "prices.brand-new.input_per_1k: 0.001", reason: "invalid_config",
                                 naming: "prices.brand-new")
        await Self.expectRefused(client, "no.such.key: 1", reason: "invalid_config", naming: "no.such.key")
        let huge = (0..<1_001).map { "prices.m\($0).input_per_1k: 0.001" }.joined(separator: "\n")
        await Self.expectRefused(client, huge, reason: "invalid_config", naming: "at most 1000")
        let unchanged = try await client.call(Aigw_V1_Admin.getConfig, Aigw_V1_GetConfigRequest())
        #expect(unchanged.revision == 2)
        #expect(unchanged.yaml.contains("\"gpt-4o\": {input_per_1k: 0.005, cached_input_per_1k: 0.0025, cache_write_per_1k: 0.005, output_per_1k: 0.015}"))

        // A stale revision is refused; null restores the configured price.
        do {
            _ = try await Self.update(client, "prices.gpt-4o-mini.output_per_1k: null", expected: 1)
            Issue.record("expected revision_mismatch")
        } catch let error as RPCError {
            #expect(error.detail?.reason == "revision_mismatch")
        }
        _ = try await Self.update(client, "prices.gpt-4o-mini.output_per_1k: null", expected: 2)
        #expect(try await Self.cost(client, "e") == 450_000)

        // The CLI: key=value with a model name holding dots.
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let set = try CLI.run(ctl, ["config", "set", "prices.gpt-3.5-turbo.output_per_1k=0.003",
                                    "--socket", server.socketPath])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("# revision 4"), "\(set.stdout)")
        let get = try CLI.run(ctl, ["config", "get", "--socket", server.socketPath])
        #expect(get.stdout.contains("\"gpt-3.5-turbo\": {input_per_1k: 0.0005, cached_input_per_1k: 0.0005, cache_write_per_1k: 0.0005, output_per_1k: 0.003}"), "\(get.stdout)")
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI, "needs the Redis that `make test` starts"))
    func aChangeThroughOneInstanceReachesTheOtherWithinASecond() async throws {
        guard let url = SharedLimitTests.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        // A private key prefix is not configurable, so this test uses a model name no other test prices.
        let model = "e2e-model-\(UUID().uuidString.prefix(8))"
        let first = try ServerProcess(environment: ["REDIS_URL": url])
        let second = try ServerProcess(environment: ["REDIS_URL": url])
        let a = try await first.client()
        let b = try await second.client()
        defer { first.terminate(); second.terminate(); Task { await a.close(); await b.close() } }
        #expect(try await Self.cost(b, "\(model)-0", model: model) == 0)

        _ = try await Self.update(a, "prices.\(model).input_per_1k: 0.001\nprices.\(model).output_per_1k: 0.002")
        let changed = ContinuousClock.now
        var seen: Duration?
        var n = 1
        while ContinuousClock.now - changed < .seconds(3) {
            if try await Self.cost(b, "\(model)-\(n)", model: model) == 1_000_000 + 1_000_000 {
                seen = ContinuousClock.now - changed
                break
            }
            n += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = try #require(seen, "the other instance never applied the change")
        #expect(elapsed < .seconds(1), "applied after \(elapsed)")
        let config = try await b.call(Aigw_V1_Admin.getConfig, Aigw_V1_GetConfigRequest())
        #expect(config.yaml.contains("\"\(model)\": {input_per_1k: 0.001"))
        _ = try await Self.update(b, "prices.\(model).input_per_1k: null\nprices.\(model).output_per_1k: null")
    }

    /// Default model, providers switched off and on, and rollback through the CLI, against the fake upstream.
    @Test func modelsAndProvidersChangeAtRunTimeAndRollBack() async throws {
        let h = try await CompletionTests.Harness.start()
        defer { Task { await h.stop() } }
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        func set(_ pairs: String...) throws {
            let run = try CLI.run(ctl, ["config", "set"] + pairs + ["--socket", h.server.socketPath])
            #expect(run.status == 0, "\(run.stderr)")
        }

        let unnamed = CompletionTests.request("")
        await #expect(throws: RPCError.self) { _ = try await h.client.call(Aigw_V1_Gateway.complete, unnamed) }
        try set("models.default=gpt-4o-mini")
        let defaulted = try await h.client.call(Aigw_V1_Gateway.complete, unnamed)
        #expect(defaulted.model == "gpt-4o-mini" && defaulted.provider == .openai)

        // OpenAI switched off: its models are skipped as if it had no key, and cross-provider fallback answers.
        try set("providers.openai.enabled=false")
        let openAIAttempts = h.fake.attempts(model: "gpt-4o-mini")
        var cross = CompletionTests.request("gpt-4o-mini")
        cross.allowCrossProviderFallback = true
        let answered = try await h.client.call(Aigw_V1_Gateway.complete, cross)
        #expect(answered.provider == .anthropic)
        #expect(h.fake.attempts(model: "gpt-4o-mini") == openAIAttempts, "no call reached the switched-off provider")
        let info = try await h.client.call(Aigw_V1_Admin.serverInfo, Aigw_V1_ServerInfoRequest())
        #expect(info.providers.first { $0.provider == .openai }?.enabled == false)

        let history = try CLI.run(ctl, ["config", "history", "--socket", h.server.socketPath])
        #expect(history.status == 0)
        #expect(history.stdout.contains("revision 2"), "\(history.stdout)")
        #expect(history.stdout.contains("providers.openai.enabled: (configured) -> false"), "\(history.stdout)")
        #expect(history.stdout.contains("models.default: (configured) -> gpt-4o-mini"), "\(history.stdout)")

        let rollback = try CLI.run(ctl, ["config", "rollback", "--socket", h.server.socketPath])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(rollback.stdout.contains("# undid revision 2; now revision 3"), "\(rollback.stdout)")
        let back = try await h.client.call(Aigw_V1_Gateway.complete, cross)
        #expect(back.provider == .openai, "OpenAI serves again after the rollback")
        #expect(try await h.client.call(Aigw_V1_Gateway.complete, unnamed).model == "gpt-4o-mini",
                "the older change stays")

        _ = try CLI.run(ctl, ["config", "rollback", "--socket", h.server.socketPath])
        let nothing = try CLI.run(ctl, ["config", "rollback", "--socket", h.server.socketPath])
        #expect(nothing.status != 0)
        #expect(nothing.stderr.contains("nothing_to_roll_back") || nothing.stderr.contains("no run-time change"),
                "\(nothing.stderr)")
        let json = try CLI.run(ctl, ["config", "history", "--json", "--socket", h.server.socketPath])
        #expect(json.stdout.contains("\"rollbackOf\"") || json.stdout.contains("\"rollback_of\""), "\(json.stdout)")
    }

    /// A rate limit lowered through one instance is enforced by the other within a second; a rollback through the
    /// other instance restores it on the first.
    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI, "needs the Redis that `make test` starts"))
    func aLimitChangeReachesTheOtherInstanceAndRollsBack() async throws {
        guard let url = SharedLimitTests.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        let first = try ServerProcess(environment: ["REDIS_URL": url])
        let second = try ServerProcess(environment: ["REDIS_URL": url])
        let a = try await first.client()
        let b = try await second.client()
        defer { first.terminate(); second.terminate(); Task { await a.close(); await b.close() } }
        let tag = UUID().uuidString.prefix(8)
        /// Whether a fresh user gets a third chat call within the minute.
        func thirdCallAllowed(_ client: GatewayClient, _ n: Int) async throws -> Bool {
            var last = true
            for _ in 0..<3 {
                last = try await client.call(Aigw_V1_Gateway.checkLimit, LimitTests.caller("u-\(tag)-\(n)", "o-\(tag)")).allowed
            }
            return last
        }
        #expect(try await thirdCallAllowed(b, 0))

        _ = try await Self.update(a, "limits.chat.user: 2/1m")
        let changed = ContinuousClock.now
        var seen: Duration?
        var n = 1
        while ContinuousClock.now - changed < .seconds(3) {
            if try await !thirdCallAllowed(b, n) {
                seen = ContinuousClock.now - changed
                break
            }
            n += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = try #require(seen, "the other instance never applied the limit")
        #expect(elapsed < .seconds(1), "applied after \(elapsed)")

        var request = Aigw_V1_RollbackConfigRequest()
        request.changedBy = "e2e"
        let undone = try await b.call(Aigw_V1_Admin.rollbackConfig, request)
        #expect(undone.undone?.entries.map(\.key) == ["limits.chat.user"])
        let rolledBack = ContinuousClock.now
        var restored = false
        while !restored && ContinuousClock.now - rolledBack < .seconds(3) {
            n += 1
            restored = try await thirdCallAllowed(a, n)
        }
        #expect(restored, "the first instance never applied the rollback")
        let history = try await a.call(Aigw_V1_Admin.getConfigHistory, Aigw_V1_GetConfigHistoryRequest())
        #expect(history.changes.first?.changedBy == "e2e")
        #expect(history.changes.first?.rollbackOf == undone.undone?.revision)
    }
}
