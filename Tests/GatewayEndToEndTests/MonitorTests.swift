import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// The product spec's monitoring alerts through a real aigw: failing upstream calls make the error-rate alert fire
/// (listed as active, sent to the webhook) and clear once the failures leave the window; a queue longer than its
/// threshold and a cache hit rate under its threshold do the same. Short windows and intervals stand in for the
/// product spec's five minutes.
@Suite(.serialized) struct MonitorTests {

    static func alerts(_ client: GatewayClient) async throws -> Aigw_V1_ListAlertsResponse {
        try await client.call(Aigw_V1_Admin.listAlerts, Aigw_V1_ListAlertsRequest())
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(5), _ check: () async throws -> Bool)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func theErrorRateAlertFiresAndClears() async throws {
        let fake = try await FakeUpstream.start(configuration: .init(openAIKey: "sk-test"))
        let server = try ServerProcess(environment: [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL + "/v1",
            "AIGW_RETRY_MAX_RETRIES": "0", "AIGW_LIMIT_CHAT_USER": "10000/1m", "AIGW_CACHE_ENABLED": "false",
            "AIGW_MONITOR_INTERVAL_MS": "100", "AIGW_MONITOR_WINDOW_SECONDS": "1", "AIGW_MONITOR_MIN_SAMPLES": "5",
            "AIGW_ALERT_WEBHOOK_URL": fake.baseURL + "/hooks/monitor",
        ])
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close(); try? await fake.shutdown() } }
        #expect(try await Self.alerts(client).active.isEmpty)

        // A caller's own mistakes are not errors: ten invalid requests fire nothing.
        for _ in 0..<10 {
            _ = try? await client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o-mini", ""))
            _ = try? await client.call(Aigw_V1_Gateway.complete, CompletionTests.request(""))
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.alerts(client).active.isEmpty)

        fake.setDefault(.status(500))
        for _ in 0..<10 {
            _ = try? await client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o-mini"))
        }
        try await Self.waitFor("error_rate to fire") {
            try await Self.alerts(client).active.contains { $0.kind == "error_rate" }
        }
        let firing = try await Self.alerts(client)
        let active = try #require(firing.active.first { $0.kind == "error_rate" })
        #expect(active.severity == .warning)
        // Ten failures among calls the invalid ones (calls, not errors) may still share the window with.
        let percent = active.details.first { $0.key == "value" }.flatMap { Double($0.value) } ?? 0
        #expect(percent > 5)
        #expect(active.message.hasPrefix("error rate ") && active.message.hasSuffix("% over the last 1 s is above 5%"),
                "\(active.message)")
        #expect(active.details.contains { $0.key == "state" && $0.value == "firing" })

        // Clean calls, and the failures leave the one-second window: it clears.
        fake.setDefault(.ok)
        try await Self.waitFor("error_rate to clear") {
            for _ in 0..<5 {
                _ = try await client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o-mini"))
            }
            return try await Self.alerts(client).active.isEmpty
        }
        let recent = try await Self.alerts(client).alerts.filter { $0.kind == "error_rate" }
        #expect(recent.map(\.severity) == [.info, .warning], "resolved, then fired; newest first")
        #expect(recent.first?.details.contains { $0.key == "state" && $0.value == "resolved" } == true)
        try await Self.waitFor("both webhooks") { fake.webhooks.filter { $0.status == 200 }.count >= 2 }
        let posted = fake.webhooks.map(\.text)
        #expect(posted.contains { $0.contains(#""kind":"error_rate""#) && $0.contains(#""state":"firing""#) })
        #expect(posted.contains { $0.contains(#""kind":"error_rate""#) && $0.contains(#""state":"resolved""#) })

        let ctl = try CLI.run(ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN"), ["alerts", "--socket", server.socketPath])
        #expect(ctl.status == 0)
        #expect(ctl.stdout.contains("ACTIVE") && ctl.stdout.contains("error rate is back to"), "\(ctl.stdout)")
    }

    /// More jobs queued than `monitor.queue_length` fires the alert; once the worker drains the queue it clears.
    @Test func theQueueLengthAlertFiresAndClears() async throws {
        let fake = try await FakeUpstream.start(configuration: .init(openAIKey: "sk-test"))
        fake.setDefault(.slowFirstToken(milliseconds: 150))
        let server = try ServerProcess(environment: [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL + "/v1", "AIGW_CACHE_ENABLED": "false",
            "AIGW_LIMIT_CHAT_USER": "10000/1m", "AIGW_QUEUE_WORKERS": "1", "AIGW_QUEUE_BATCH_SIZE": "1",
            "AIGW_QUEUE_POLL_INTERVAL_MS": "10", "AIGW_MONITOR_INTERVAL_MS": "100", "AIGW_MONITOR_QUEUE_LENGTH": "3",
        ])
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close(); try? await fake.shutdown() } }

        var ids: [String] = []
        for i in 0..<8 { ids.append(try await QueueTests.enqueue(client, "job \(i)").jobId) }
        try await Self.waitFor("queue_length to fire") {
            try await Self.alerts(client).active.contains { $0.kind == "queue_length" }
        }
        let firing = try #require(try await Self.alerts(client).active.first { $0.kind == "queue_length" })
        #expect(firing.message.hasPrefix("queue length ") && firing.message.hasSuffix(" is above 3"), "\(firing.message)")

        try await Self.waitFor("the queue to drain and the alert to clear", timeout: .seconds(20)) {
            try await Self.alerts(client).active.isEmpty
        }
        let resolved = try await Self.alerts(client).alerts.first { $0.kind == "queue_length" }
        #expect(resolved?.severity == .info)
        #expect(resolved?.message.hasPrefix("queue length is back to") == true)
        // The queue emptied by running the jobs, not by losing them.
        for id in ids { #expect(try await QueueTests.job(client, id, waitMillis: 10_000).state == .succeeded) }
    }

    /// Lookups that miss push the hit rate under `monitor.cache_hit_rate_percent`; repeated requests (hits) lift it
    /// back over once the misses leave the window.
    @Test func theCacheHitRateAlertFiresAndClears() async throws {
        let fake = try await FakeUpstream.start(configuration: .init(openAIKey: "sk-test"))
        let server = try ServerProcess(environment: [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL + "/v1", "AIGW_LIMIT_CHAT_USER": "10000/1m",
            "AIGW_MONITOR_INTERVAL_MS": "100", "AIGW_MONITOR_WINDOW_SECONDS": "1", "AIGW_MONITOR_MIN_SAMPLES": "5",
        ])
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close(); try? await fake.shutdown() } }

        for i in 0..<10 {
            _ = try await client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o-mini", "miss \(i)"))
        }
        try await Self.waitFor("cache_hit_rate to fire") {
            try await Self.alerts(client).active.contains { $0.kind == "cache_hit_rate" }
        }
        let firing = try #require(try await Self.alerts(client).active.first { $0.kind == "cache_hit_rate" })
        #expect(firing.message.hasPrefix("cache hit rate ") && firing.message.hasSuffix("is below 50%"),
                "\(firing.message)")
        #expect(firing.details.contains { $0.key == "lookups" })

        // The same request again and again: hits, so the rate recovers as the misses leave the window.
        let repeated = CompletionTests.request("gpt-4o-mini", "miss 0")
        try await Self.waitFor("cache_hit_rate to clear") {
            for _ in 0..<5 { _ = try await client.call(Aigw_V1_Gateway.complete, repeated) }
            return try await Self.alerts(client).active.isEmpty
        }
        let resolved = try await Self.alerts(client).alerts.first { $0.kind == "cache_hit_rate" }
        #expect(resolved?.severity == .info)
        #expect(resolved?.message.hasPrefix("cache hit rate is back to") == true)
        let live = try await client.call(Aigw_V1_Admin.getLiveStats, Aigw_V1_GetLiveStatsRequest())
        #expect(live.hasCache && live.cacheMissesTotal == 10 && live.cacheHitsTotal >= 5)
    }
}
