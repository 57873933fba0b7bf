import Foundation
import GatewayClient
import GatewayWire
import NIOCore

/// Cache hits: Complete for an answer already cached, on an aigw whose cache (and limits and usage) is in memory, and
/// on one whose cache, limits and usage are in a private redis-server, over the Unix socket. Every call carries a
/// request id of its own, so each is a real hit: a rate-limit check, a cache lookup and a usage record. Baselines in
/// the same run: the raw echo of the same request frame, and redis-benchmark GET of a value of the cached entry's
/// size.
struct CacheBench {
    let binary: String
    let directory: URL
    let levels: [Int]
    let duration: Duration
    let warmUp: Duration

    func run(redis: RedisBaseline) async throws -> CacheResults {
        let loadBefore = loadAverage()
        let fake = try FakeUpstreamProcess(binary: binary)
        defer { fake.stop() }
        let echo = try await EchoServer.baseline(
            echoing: CacheHitDialect.make(token: AigwProcess.token, run: "echo"),
            socket: directory.appendingPathComponent("cache-echo.sock").path, levels: levels, duration: duration,
            warmUp: warmUp)

        var rows: [StoreRow] = []
        var checks: [CacheCheck] = []
        var entryBytes = 0
        for store in ["memory", "redis"] {
            var environment = CompletionBench.environment(upstream: fake.baseURL)
            environment["AIGW_CACHE_ENABLED"] = "true"
            if store == "redis" { environment["REDIS_URL"] = redis.url }
            let server = try AigwProcess(
                binary: binary, socket: directory.appendingPathComponent("cache-\(store).sock").path,
                environment: environment)
            defer { server.stop() }
            // The one upstream call: it fills the cache; every measured call is then a hit.
            let client = try await GatewayClient.connect(to: .unix(path: server.socket), token: AigwProcess.token)
            let first = try await client.call(Aigw_V1_Gateway.complete, CacheHitDialect.request(id: "fill-\(store)"))
            guard first.content == CompletionBench.reply else {
                throw BenchError("aigw answered \(first.content.debugDescription)")
            }
            if store == "redis" { entryBytes = try redis.cacheEntryBytes() }
            var calls = 0
            for n in levels {
                let (warmUpCalls, latencies) = try await PipelinedLoad.measure(
                    target: .unix(server.socket), inFlight: n, warmUp: warmUp, duration: duration
                ) { CacheHitDialect.make(token: AigwProcess.token, run: "\($0)\(store)\(n)") }
                calls += warmUpCalls + latencies.count
                let row = StoreRow(rpc: "cachehit", store: store, inFlight: n, stats: Stats(latencies, duration),
                                   echo: echo[n])
                print(row.line)
                rows.append(row)
            }
            let stats = try await client.call(Aigw_V1_Admin.getCacheStats, .init())
            let chat = stats.operations.first { $0.endpoint == .chat }
            checks.append(CacheCheck(store: store, backend: stats.backend, calls: calls, hits: chat?.hits ?? 0,
                                     misses: chat?.misses ?? 0))
            print("cachehit store=\(store) backend=\(stats.backend) calls=\(calls) hits=\(chat?.hits ?? 0) "
                  + "misses=\(chat?.misses ?? 0)")
            await client.close()
        }
        let get1 = try redis.get(clients: 1, requests: 20_000)
        let get16 = try redis.get(clients: 16, requests: 100_000)
        print("redis-benchmark GET \(entryBytes) B: 1 client p50 \(fmt(get1.p50)) us p99 \(fmt(get1.p99)) us; "
              + "16 clients \(Int(get16.perSecond))/s p99 \(fmt(get16.p99)) us")
        return CacheResults(rows: rows, checks: checks, entryBytes: entryBytes, get1: get1, get16: get16,
                            loadBefore: loadBefore, loadAfter: loadAverage())
    }
}

/// What the cache suite measured.
struct CacheResults {
    let rows: [StoreRow]
    let checks: [CacheCheck]
    /// The cached entry's size in Redis (its stored form).
    let entryBytes: Int
    /// redis-benchmark GET of that entry with 1 and 16 clients.
    let get1: (perSecond: Double, p50: Double, p99: Double)
    let get16: (perSecond: Double, p50: Double, p99: Double)
    let loadBefore: String
    let loadAfter: String
}

/// Calls answered against the hits and misses GetCacheStats reports for one store (the fill call is the one miss).
struct CacheCheck {
    let store: String
    let backend: String
    let calls: Int
    let hits: UInt64
    let misses: UInt64
}

/// Complete of one cached prompt with a request id of its own per call.
enum CacheHitDialect {
    static func request(id: String) -> Aigw_V1_CompleteRequest {
        var request = CompletionBench.request(CompletionBench.message)
        request.requestId = id
        return request
    }

    static func make(token: String, run: String) -> UniqueIDDialect {
        let request = request(id: "cache-\(getpid())-\(run)-\(UniqueIDDialect.placeholder)")
        return UniqueIDDialect(
            method: Aigw_V1_Gateway.complete.path, token: token, payload: request.serializedBytes(),
            id: request.requestId)
    }
}
