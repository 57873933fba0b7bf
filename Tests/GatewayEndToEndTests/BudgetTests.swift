import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// Budgets through real aigw processes: Admin and `aigwctl budgets`, thresholds that fire once (logged, listed and
/// POSTed to a webhook with retries), and hard enforcement of Complete and Stream, on the embedded store and on
/// Redis with two instances.
@Suite(.serialized) struct BudgetTests {
    static func budget(
        name: String = "team", user: String = "", org: String = "", limit: Int64, period: Aigw_V1_Period = .daily,
        notifyAt: [UInt32] = [50, 100], enforce: Bool = false
    ) -> Aigw_V1_CreateBudgetAlertRequest {
        var budget = Aigw_V1_BudgetAlert()
        budget.name = name
        budget.userId = user
        budget.orgId = org
        budget.limitNanoUsd = limit
        budget.period = period
        budget.notifyAtPercent = notifyAt
        budget.enabled = true
        budget.hardLimit = enforce
        var request = Aigw_V1_CreateBudgetAlertRequest()
        request.alert = budget
        return request
    }

    static func alerts(_ client: GatewayClient, budgetID: String) async throws -> [Aigw_V1_Alert] {
        var request = Aigw_V1_ListAlertsRequest()
        request.limit = 1_000
        return try await client.call(Aigw_V1_Admin.listAlerts, request).alerts.filter { alert in
            alert.details.contains { $0.key == "budget_id" && $0.value == budgetID }
        }
    }

    static func percent(_ alert: Aigw_V1_Alert) -> String {
        alert.details.first { $0.key == "threshold_percent" }?.value ?? "?"
    }

    static func expectReason(_ code: Aigw_V1_StatusCode, _ reason: String, _ body: () async throws -> Void,
                             sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(reason)", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code && error.detail?.reason == reason, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func budgetsAreManagedThroughAdminAndTheCLI() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close() } }

        let created = try await client.call(
            Aigw_V1_Admin.createBudgetAlert,
            Self.budget(org: "acme", limit: 250_000_000_000, period: .monthly, notifyAt: [90, 50, 75, 100]))
        #expect(created.id.hasPrefix("bud_"))
        #expect(created.notifyAtPercent == [50, 75, 90, 100])
        #expect(created.periodStart.hasSuffix("-01"))
        #expect(created.spentNanoUsd == 0 && created.enabled && !created.hardLimit)

        await Self.expectReason(.invalidArgument, "invalid_budget") {
            _ = try await client.call(Aigw_V1_Admin.createBudgetAlert, Self.budget(user: "a", org: "b", limit: 1))
        }
        await Self.expectReason(.invalidArgument, "invalid_budget") {
            _ = try await client.call(Aigw_V1_Admin.createBudgetAlert, Self.budget(org: "acme", limit: -5))
        }
        await Self.expectReason(.invalidArgument, "invalid_budget") {
            _ = try await client.call(Aigw_V1_Admin.createBudgetAlert, Self.budget(org: "acme", limit: 5, period: .unspecified))
        }
        var unknown = Aigw_V1_UpdateBudgetAlertRequest()
        unknown.alert = created
        unknown.alert?.id = "bud_nope"
        await Self.expectReason(.notFound, "budget_not_found") {
            _ = try await client.call(Aigw_V1_Admin.updateBudgetAlert, unknown)
        }

        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let socket = ["--socket", server.socketPath]
        let made = try CLI.run(ctl, ["budgets", "create", "--name", "alice daily", "--user", "alice", "--limit", "12.50",
                                     "--period", "daily", "--enforce", "--id", "alice-daily"] + socket)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("alice-daily") && made.stdout.contains("$12.500000"), "\(made.stdout)")
        let updated = try CLI.run(ctl, ["budgets", "update", "alice-daily", "--limit", "20", "--enabled", "false"] + socket)
        #expect(updated.status == 0, "\(updated.stderr)")
        let listed = try CLI.run(ctl, ["budgets", "list", "--json"] + socket)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        let budgets = try #require(object["alerts"] as? [[String: Any]])
        #expect(budgets.count == 2)
        let alice = try #require(budgets.first { $0["id"] as? String == "alice-daily" })
        #expect(alice["limitNanoUsd"] as? String == "20000000000" || alice["limitNanoUsd"] as? Int == 20_000_000_000)
        #expect(alice["enabled"] as? Bool != true)
        #expect(alice["hardLimit"] as? Bool == true)
        let table = try CLI.run(ctl, ["budgets"] + socket)
        #expect(table.stdout.contains("org:acme") && table.stdout.contains("user:alice"), "\(table.stdout)")
        #expect(try CLI.run(ctl, ["budgets", "delete", "alice-daily"] + socket).status == 0)
        #expect(try CLI.run(ctl, ["budgets", "delete", "alice-daily"] + socket).status == 1)
        let bad = try CLI.run(ctl, ["budgets", "create", "--name", "x", "--org", "o", "--limit", "-1"] + socket)
        #expect(bad.status != 0)

        var delete = Aigw_V1_DeleteBudgetAlertRequest()
        delete.id = created.id
        #expect(try await client.call(Aigw_V1_Admin.deleteBudgetAlert, delete).deleted)
        #expect(try await client.call(Aigw_V1_Admin.listBudgetAlerts, Aigw_V1_ListBudgetAlertsRequest()).alerts.isEmpty)
    }

    @Test func eachThresholdFiresOnceAndReachesTheWebhookWithRetries() async throws {
        let fake = try await FakeUpstream.start()
        fake.failWebhooks(next: 1)
        let server = try ServerProcess(environment: [
            "AIGW_ALERT_WEBHOOK_URL": fake.baseURL + "/hooks/alerts",
        ])
        let client = try await server.client()
        defer { server.terminate(); Task { await client.close(); try? await fake.shutdown() } }
        // Each report costs 450,000 nano-dollars (gpt-4o-mini, 1,000 in and 500 out).
        let budget = try await client.call(
            Aigw_V1_Admin.createBudgetAlert, Self.budget(org: "acme", limit: 900_000, notifyAt: [50, 100]))
        for i in 0..<3 {
            _ = try await client.call(Aigw_V1_Gateway.trackUsage, UsageTests.track("t\(i)", org: "acme"))
        }
        let alerts = try await Self.alerts(client, budgetID: budget.id)
        #expect(alerts.map(Self.percent) == ["100", "50"], "newest first, each once")
        #expect(alerts.first?.kind == "budget_threshold")
        #expect(alerts.first?.severity == .critical)
        #expect(alerts.first?.subject == "org:acme")
        let list = try await client.call(Aigw_V1_Admin.listBudgetAlerts, Aigw_V1_ListBudgetAlertsRequest())
        #expect(list.alerts.first?.spentNanoUsd == 1_350_000)

        let ctl = try CLI.run(ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN"),
                              ["alerts", "--socket", server.socketPath])
        #expect(ctl.stdout.contains("budget_threshold") && ctl.stdout.contains("reached 100%"), "\(ctl.stdout)")

        // The first POST was answered 503 and retried about a second later.
        let deadline = ContinuousClock.now + .seconds(10)
        while fake.webhooks.filter({ $0.status == 200 }).count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let deliveries = fake.webhooks
        #expect(deliveries.map(\.status).sorted() == [200, 200, 503])
        let delivered = deliveries.filter { $0.status == 200 }.map(\.text)
        #expect(delivered.contains { $0.contains(#""threshold_percent":"50""#) })
        #expect(delivered.contains { $0.contains(#""threshold_percent":"100""#) })
        #expect(delivered.allSatisfy { $0.contains(#""kind":"budget_threshold""#) && $0.contains(budget.id) })
    }

    /// 20 concurrent calls against a budget that affords a few: spending never passes the limit (every call's cost
    /// is within its reservation here), denied calls never reach the upstream, and later calls are refused.
    @Test func anEnforcedBudgetStopsCompleteAndStream() async throws {
        let h = try await CompletionTests.Harness.start()
        defer { h.server.terminate(); Task { await h.stop() } }
        // A call costs 2 x 150 + 4 x 600 = 2,700 and reserves 11 bytes x 150 + 10 x 600 = 7,650.
        let limit: Int64 = 20_000
        _ = try await h.client.call(
            Aigw_V1_Admin.createBudgetAlert, Self.budget(org: "o1", limit: limit, notifyAt: [], enforce: true))
        var request = CompletionTests.request("gpt-4o-mini")
        request.maxTokens = 10
        let call = request
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await h.client.call(Aigw_V1_Gateway.complete, call)
                        return "ok"
                    } catch let error as RPCError {
                        return error.detail?.reason ?? "\(error)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var outcomes: [String] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let ok = outcomes.filter { $0 == "ok" }.count
        #expect(ok >= 2 && ok <= 7, "\(outcomes)")
        #expect(outcomes.allSatisfy { $0 == "ok" || $0 == "budget_exhausted" }, "\(outcomes)")
        #expect(h.fake.attempts() == ok, "denied calls never reach the upstream")
        var usage = Aigw_V1_GetUsageRequest()
        usage.orgId = "o1"
        let spent = try await h.client.call(Aigw_V1_Admin.getUsage, usage).totals?.costNanoUsd ?? 0
        #expect(spent == Int64(ok) * 2_700)
        #expect(spent <= limit)

        // Fill the budget to the brim, then both Complete and Stream are refused.
        while true {
            do { _ = try await h.client.call(Aigw_V1_Gateway.complete, request) } catch { break }
        }
        await Self.expectReason(.resourceExhausted, "budget_exhausted") {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, request)
        }
        let stream = await CompletionTests.collect(h, request)
        #expect(stream.error?.code == .resourceExhausted && stream.error?.detail?.reason == "budget_exhausted")
        #expect(stream.events.isEmpty)
        let list = try await h.client.call(Aigw_V1_Admin.listBudgetAlerts, Aigw_V1_ListBudgetAlertsRequest())
        #expect((list.alerts.first?.spentNanoUsd ?? .max) <= limit)
        #expect(list.alerts.first?.reservedNanoUsd == 0)
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI, "needs the Redis that `make test` starts"))
    func twoInstancesOnRedisShareBudgetsThresholdsAndEnforcement() async throws {
        guard let url = SharedLimitTests.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        let h = try await CompletionTests.Harness.start(["REDIS_URL": url])
        let second = try ServerProcess(environment: h.server.environment)
        let other = try await second.client()
        defer { second.terminate(); h.server.terminate(); Task { await other.close(); await h.stop() } }
        let clients = [h.client, other]
        let org = "org-\(UUID().uuidString)"

        // Thresholds: 200 reports through both instances at once; each threshold fires exactly once in all.
        let budget = try await h.client.call(
            Aigw_V1_Admin.createBudgetAlert,
            Self.budget(org: org, limit: 100 * 450_000, notifyAt: [25, 50, 75, 100, 150]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                let client = clients[i % 2]
                group.addTask { _ = try await client.call(Aigw_V1_Gateway.trackUsage, UsageTests.track("\(org)-\(i)", org: org)) }
            }
            try await group.waitForAll()
        }
        for client in clients {
            let alerts = try await Self.alerts(client, budgetID: budget.id)
            #expect(alerts.map(Self.percent).sorted() == ["100", "150", "25", "50", "75"])
        }

        // Enforcement: a budget created on one instance binds calls through both.
        let limit: Int64 = 20_000
        var enforced = Self.budget(org: org, limit: limit, notifyAt: [], enforce: true)
        enforced.alert?.orgId = "o1-\(org)"
        _ = try await other.call(Aigw_V1_Admin.createBudgetAlert, enforced)
        try await Task.sleep(for: .milliseconds(1_100))  // the other instance's budget cache refreshes each second
        var request = CompletionTests.request("gpt-4o-mini")
        request.maxTokens = 10
        request.caller?.orgId = "o1-\(org)"
        let call = request
        let ok = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<20 {
                let client = clients[i % 2]
                group.addTask { (try? await client.call(Aigw_V1_Gateway.complete, call)) != nil }
            }
            var ok = 0
            for await success in group where success { ok += 1 }
            return ok
        }
        #expect(ok >= 2 && ok <= 7)
        var usage = Aigw_V1_GetUsageRequest()
        usage.orgId = "o1-\(org)"
        let spent = try await other.call(Aigw_V1_Admin.getUsage, usage).totals?.costNanoUsd ?? 0
        #expect(spent == Int64(ok) * 2_700 && spent <= limit)
    }
}
