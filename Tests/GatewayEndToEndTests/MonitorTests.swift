import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// The error-rate monitoring alert through a real aigw: failing upstream calls make it fire (listed as active, sent
/// to the webhook), and once the failures leave the window it clears. Short windows and intervals stand in for the
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
            "AIGW_RETRY_MAX_RETRIES": "0", "AIGW_LIMIT_CHAT_USER": "10000/1m",
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
        let active = try #require(firing.active.first)
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
}
