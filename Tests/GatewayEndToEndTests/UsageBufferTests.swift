import Foundation
import GatewayClient
import GatewayWire
import RedisTestSupport
import Testing

/// With Redis configured, usage reported while Redis is unreachable is kept in aigw's memory and written once Redis
/// returns: no record lost, none counted twice. Each test stops a private redis-server, so it shares Redis with no one.
@Suite struct UsageBufferTests {
    static func bufferHealth(_ client: GatewayClient) async throws -> Aigw_V1_ComponentHealth? {
        try await client.call(Aigw_V1_Admin.health, .init()).components.first { $0.name == "usage_buffer" }
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func reportsDuringARedisOutageAreBufferedAndWrittenWhenItReturns() async throws {
        let redis = try RedisServerProcess()
        let server = try ServerProcess(environment: ["REDIS_URL": redis.url])
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate() } }
        #expect(try await Self.bufferHealth(client)?.healthy == true)

        redis.kill()
        let org = "org-\(UUID().uuidString)"
        let requests = (0..<200).map { i in
            UsageTests.track("\(org)-\(i)", user: "user-\(i % 7)", org: org, input: UInt64(i % 13 + 1),
                             output: UInt64(i % 5))
        }
        // Every report succeeds while Redis is down.
        let answers = try await withThrowingTaskGroup(of: Aigw_V1_TrackUsageResponse.self) { group in
            for request in requests { group.addTask { try await client.call(Aigw_V1_Gateway.trackUsage, request) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 200 && answers.allSatisfy { !$0.duplicate })
        // A retry of a buffered report is a duplicate, as it would be on Redis.
        #expect(try await client.call(Aigw_V1_Gateway.trackUsage, requests[0]).duplicate)

        let down = try await client.call(Aigw_V1_Admin.health, .init())
        let buffer = try #require(down.components.first { $0.name == "usage_buffer" })
        #expect(!buffer.healthy)
        #expect(buffer.detail.contains("pending=200 "), "\(buffer.detail)")
        #expect(down.status == .degraded)

        try redis.start()
        var pending = true
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if try await Self.bufferHealth(client)?.healthy == true {
                pending = false
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!pending, "the buffer drained once Redis was back")
        #expect(try await Self.bufferHealth(client)?.detail.contains("flushed=200 ") == true)

        var usage = Aigw_V1_GetUsageRequest()
        usage.period = .daily
        usage.orgId = org
        let report = try await client.call(Aigw_V1_Admin.getUsage, usage)
        let input = (0..<200).reduce(UInt64(0)) { $0 + UInt64($1 % 13 + 1) }
        let output = (0..<200).reduce(UInt64(0)) { $0 + UInt64($1 % 5) }
        #expect(report.totals?.requests == 200)
        #expect(report.totals?.usage?.inputTokens == input)
        #expect(report.totals?.usage?.outputTokens == output)
        #expect(report.totals?.costNanoUsd == Int64(input) * 150 + Int64(output) * 600)
        #expect(server.stderr.contains("buffering usage records in memory"))
        #expect(server.stderr.contains("buffered usage records written to the store"))
    }

    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func recordsStillBufferedAtExitAreReportedLost() async throws {
        let redis = try RedisServerProcess()
        let server = try ServerProcess(environment: ["REDIS_URL": redis.url])
        let client = try await server.client()
        redis.kill()
        for i in 0..<3 {
            _ = try await client.call(Aigw_V1_Gateway.trackUsage, UsageTests.track("lost-\(i)"))
        }
        await client.close()
        #expect(server.terminate() == 0)
        #expect(server.stderr.contains("usage records still buffered at exit are lost"))
        #expect(server.stderr.contains("usage_buffer.lost=3"))
    }
}
