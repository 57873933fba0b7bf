import Foundation
import GatewayClient
import GatewayWire
import NIOCore

/// TrackUsage on the memory and Redis stores, every call with a request id of its own so every call records,
/// against baselines measured in the same run: the raw echo of the same request frame (memory) and redis-benchmark
/// running the usage record script (Redis).
struct UsageBench {
    static let user = "bench-user"
    static let org = "bench-org"

    let binary: String
    let directory: URL
    let levels: [Int]
    let duration: Duration
    let warmUp: Duration

    func run(redis: RedisBaseline) async throws -> UsageResults {
        let loadBefore = loadAverage()
        // The echo of the same bytes an RPC TrackUsage frame carries.
        let echo = try await EchoServer.baseline(
            echoing: TrackUsageDialect.make(token: AigwProcess.token, run: "echo"),
            socket: directory.appendingPathComponent("usage-echo.sock").path, levels: levels, duration: duration,
            warmUp: warmUp)

        var rows: [StoreRow] = []
        var checks: [UsageCheck] = []
        for store in ["memory", "redis"] {
            let environment = store == "redis" ? ["REDIS_URL": redis.url] : [:]
            let server = try AigwProcess(binary: binary, socket: directory.appendingPathComponent("usage-\(store).sock").path,
                                         environment: environment)
            defer { server.stop() }
            var calls = 0
            for n in levels {
                // Warm-up and measurement each get fresh ids: a repeated id would be a cheap duplicate.
                let (warmUpCalls, latencies) = try await PipelinedLoad.measure(
                    target: .unix(server.socket), inFlight: n, warmUp: warmUp, duration: duration
                ) { TrackUsageDialect.make(token: AigwProcess.token, run: "\($0)\(store)\(n)") }
                calls += warmUpCalls + latencies.count
                let row = StoreRow(rpc: "trackusage", store: store, inFlight: n, stats: Stats(latencies, duration), echo: echo[n])
                print(row.line)
                rows.append(row)
            }
            let recorded = try await recordedRequests(server)
            checks.append(UsageCheck(store: store, calls: calls, recorded: recorded))
            print("trackusage store=\(store) calls=\(calls) recorded=\(recorded)")
        }

        let day = String(Report.date)
        let baselineUser = "baseline-user"
        let evalsha50 = try redis.evalshaUsage(clients: 50, requests: 100_000, day: day, user: baselineUser,
                                               org: "baseline-org")
        let evalsha1 = try redis.evalshaUsage(clients: 1, requests: 10_000, day: day, user: baselineUser,
                                              org: "baseline-org")
        let baselineRecorded = try redis.recordedRequests(day: day, user: baselineUser)
        print("redis-benchmark EVALSHA usage: 50 clients \(Int(evalsha50.perSecond))/s; "
              + "1 client p50 \(fmt(evalsha1.p50)) us; recorded \(baselineRecorded) of 110000")
        return UsageResults(rows: rows, checks: checks, evalsha50: evalsha50, evalsha1: evalsha1,
                            baselineCalls: 110_000, baselineRecorded: baselineRecorded, loadBefore: loadBefore,
                            loadAfter: loadAverage())
    }

    /// The bench user's requests today, as aigw reports them: every call that was answered must be there.
    private func recordedRequests(_ server: AigwProcess) async throws -> UInt64 {
        let client = try await GatewayClient.connect(to: .unix(path: server.socket), token: AigwProcess.token)
        defer { Task { await client.close() } }
        var request = Aigw_V1_GetUsageRequest()
        request.period = .daily
        request.userId = Self.user
        return try await client.call(Aigw_V1_Admin.getUsage, request).totals?.requests ?? 0
    }
}

/// TrackUsage with a request id of its own per call (see `UniqueIDDialect`).
enum TrackUsageDialect {
    /// - Parameter run: makes this dialect's ids differ from every other dialect's in the same bench run.
    static func make(token: String, run: String) -> UniqueIDDialect {
        var caller = Aigw_V1_Caller()
        caller.userId = UsageBench.user
        caller.orgId = UsageBench.org
        caller.endpoint = .summarize
        var usage = Aigw_V1_Usage()
        usage.inputTokens = 1_000
        usage.outputTokens = 500
        var request = Aigw_V1_TrackUsageRequest()
        request.requestId = "bench-\(getpid())-\(run)-\(UniqueIDDialect.placeholder)"
        request.caller = caller
        request.model = "gpt-4o-mini"
        request.provider = .openai
        request.usage = usage
        return UniqueIDDialect(
            method: Aigw_V1_Gateway.trackUsage.path, token: token, payload: request.serializedBytes(),
            id: request.requestId)
    }
}
