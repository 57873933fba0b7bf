import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// TrackUsage, automatic tracking of Complete and Stream, GetUsage/GetCosts and `aigwctl usage|costs|top-users`,
/// against real aigw processes on the embedded store and on Redis.
@Suite struct UsageTests {
    static func track(_ id: String, user: String = "u1", org: String = "o1", model: String = "gpt-4o-mini",
                      input: UInt64 = 1_000, output: UInt64 = 500) -> Aigw_V1_TrackUsageRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = user
        caller.orgId = org
        caller.endpoint = .summarize
        var usage = Aigw_V1_Usage()
        usage.inputTokens = input
        usage.outputTokens = output
        var request = Aigw_V1_TrackUsageRequest()
        request.requestId = id
        request.caller = caller
        request.model = model
        request.usage = usage
        return request
    }

    static func usage(_ client: GatewayClient, user: String = "", period: Aigw_V1_Period = .daily) async throws
        -> Aigw_V1_GetUsageResponse
    {
        var request = Aigw_V1_GetUsageRequest()
        request.period = period
        request.userId = user
        return try await client.call(Aigw_V1_Admin.getUsage, request)
    }

    @Test func trackUsageIsExactIdempotentAndReported() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate() } }
        let first = try await client.call(Aigw_V1_Gateway.trackUsage, Self.track("req-1"))
        #expect(first.costNanoUsd == 450_000, "gpt-4o-mini, 1,000 in and 500 out: exactly $0.00045")
        #expect(!first.duplicate && !first.unpriced)
        let retried = try await client.call(Aigw_V1_Gateway.trackUsage, Self.track("req-1"))
        #expect(retried.duplicate)
        let unknown = try await client.call(Aigw_V1_Gateway.trackUsage, Self.track("req-2", model: "home-grown-llm"))
        #expect(unknown.unpriced && unknown.costNanoUsd == 0)
        let health = try await client.call(Aigw_V1_Admin.health, Aigw_V1_HealthRequest())
        let pricing = health.components.first { $0.name == "usage_pricing" }
        #expect(pricing?.detail == "unpriced_records=1 models=home-grown-llm", "the metric flags the unpriced model")
        #expect(pricing?.healthy == true && health.status == .serving)
        let report = try await Self.usage(client)
        #expect(report.totals?.requests == 2)
        #expect(report.totals?.costNanoUsd == 450_000)
        #expect(report.averageCostPerRequestNanoUsd == 225_000)
        #expect(Set(report.byModel.map(\.key)) == ["gpt-4o-mini", "home-grown-llm"])
        #expect(report.byEndpoint.map(\.key) == ["summarize"])
        var bad = Self.track("")
        await #expect(throws: RPCError.self) { _ = try await client.call(Aigw_V1_Gateway.trackUsage, bad) }
        bad = Self.track("x")
        bad.caller = nil
        await #expect(throws: RPCError.self) { _ = try await client.call(Aigw_V1_Gateway.trackUsage, bad) }
    }

    @Test func completionsAreChargedAutomaticallyAndACancelledStreamForWhatItSaw() async throws {
        let h = try await CompletionTests.Harness.start()
        defer { Task { await h.stop() } }
        let answer = try await h.client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o-mini"))
        // 2 input words x 150 + 4 output pieces x 600 nano-dollars.
        #expect(answer.costNanoUsd == 2 * 150 + 4 * 600)
        h.fake.setTokenDelay(milliseconds: 200)
        var request = CompletionTests.request("gpt-4o-mini", "a b c d e f g h")
        request.requestId = "cancelled-stream"
        var caller = request.caller!
        caller.userId = "streamer"
        request.caller = caller
        let stream = h.client.stream(Aigw_V1_Gateway.stream, request)
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()  // StreamStart
        _ = try await iterator.next()  // the first delta
        _ = try await iterator.next()  // the second
        Task { while try await iterator.next() != nil {} }.cancel()
        var charged: Aigw_V1_UsageTotals?
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            charged = try await Self.usage(h.client, user: "streamer").totals
            if (charged?.requests ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(charged?.requests == 1)
        #expect((charged?.usage?.outputTokens ?? 0) >= 2, "at least the deltas delivered")
        #expect((charged?.costNanoUsd ?? 0) > 0)
    }

    @Test func costsAndTheCLI() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate() } }
        _ = try await client.call(Aigw_V1_Gateway.trackUsage, Self.track("a", user: "alice", model: "gpt-4o"))
        _ = try await client.call(Aigw_V1_Gateway.trackUsage, Self.track("b", user: "bob"))
        var costs = Aigw_V1_GetCostsRequest()
        costs.topN = 5
        let report = try await client.call(Aigw_V1_Admin.getCosts, costs)
        #expect(report.daily.count == 30, "the last 30 days by default, zero days included")
        #expect(report.totals?.costNanoUsd == Int64(12_950_000), "gpt-4o 12,500,000 + gpt-4o-mini 450,000")
        #expect(report.topUsers.map(\.key) == ["alice", "bob"])
        #expect(report.forecast?.method == "linear")
        #expect((report.forecast?.projectedNanoUsd ?? 0) >= report.totals?.costNanoUsd ?? 0)
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        for (args, expected) in [(["usage"], "$0.01295"), (["costs"], "linear"), (["top-users"], "alice")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ctl)
            p.arguments = args + ["--socket", server.socketPath]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 0, "\(args)")
            #expect(text.contains(expected), "\(args): \(text)")
        }
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI, "needs the Redis that `make test` starts"))
    func twoInstancesOnRedisAgreeWithTheSumOfTheRecords() async throws {
        guard let url = SharedLimitTests.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        let first = try ServerProcess(environment: ["REDIS_URL": url])
        let second = try ServerProcess(environment: ["REDIS_URL": url])
        let clients = [try await first.client(), try await second.client()]
        defer { Task { for c in clients { await c.close() }; first.terminate(); second.terminate() } }
        let org = "org-\(UUID().uuidString)"
        // 10,000 reports, every 10th a retry of an earlier id: 9,000 distinct records.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<10_000 {
                // A retry repeats its original exactly; either may arrive first.
                let n = i % 10 == 9 ? i - 1 : i
                let request = Self.track(
                    "\(org)-\(n)", user: "user-\(n % 7)", org: org, input: UInt64(n % 13), output: UInt64(n % 5))
                let client = clients[i % 2]
                group.addTask { _ = try await client.call(Aigw_V1_Gateway.trackUsage, request) }
                if i % 500 == 499 { try await group.waitForAll() }
            }
            try await group.waitForAll()
        }
        var expectedInput: UInt64 = 0
        var expectedOutput: UInt64 = 0
        for i in 0..<10_000 where i % 10 != 9 {
            expectedInput += UInt64(i % 13)
            expectedOutput += UInt64(i % 5)
        }
        var request = Aigw_V1_GetUsageRequest()
        request.period = .daily
        request.orgId = org
        for client in clients {
            let report = try await client.call(Aigw_V1_Admin.getUsage, request)
            #expect(report.totals?.requests == 9_000)
            #expect(report.totals?.usage?.inputTokens == expectedInput)
            #expect(report.totals?.usage?.outputTokens == expectedOutput)
            #expect(report.totals?.costNanoUsd == Int64(expectedInput) * 150 + Int64(expectedOutput) * 600)
        }
    }
}
