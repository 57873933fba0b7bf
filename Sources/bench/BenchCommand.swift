import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire
import NIOCore

/// Measures Health RPC latency and throughput against a raw length-prefixed echo over the same socket type, in the
/// same run, CheckLimit and TrackUsage on each store, and Complete/Stream against a direct libcurl call to the same
/// fake upstream, and writes the comparison to docs/benchmarks.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark aigw's RPC path against a raw echo baseline (build with -c release).")

    @Option(help: "Path to the aigw binary (a release build).")
    var aigw: String = ".build/release/aigw"

    @Option(help: "Markdown file to write the results to.")
    var output: String?

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 3

    @Option(help: "What to measure: all, limits (CheckLimit only, for profiling), usage (TrackUsage), completions (Complete and Stream), metrics (the cost of Prometheus accounting), queue (Enqueue to succeeded on Redis) or cache (cache hits).")
    var suite: String = "all"

    @Flag(help: "Run the RPC callers on the client connection's event loop.")
    var pinned = false

    @Option(help: "Comma-separated calls in flight.")
    var inFlight: String = "1,16,256"

    @Option(help: "Comma-separated concurrent callers for the completions suite.")
    var completionInFlight: String = "1,16,64"

    @Option(help: "Comma-separated upstream latencies (ms before the fake answers) for the completions suite.")
    var upstreamLatencyMs: String = "0,20"
    @Option(help: "Concurrent streams for the completions suite's memory measurement.")
    var streams: Int = 1000

    @Option(help: "Jobs per pass of the queue suite.")
    var queueJobs: Int = 20_000
    @Option(help: "queue.workers of the queue suite's aigw.")
    var queueWorkers: Int = 64
    @Option(help: "queue.batch_size of the queue suite's aigw.")
    var queueBatch: Int = 32

    func run() async throws {
        let levels = inFlight.split(separator: ",").compactMap { Int($0) }
        let duration = Duration.milliseconds(Int64(seconds * 1000))
        let warmUp = Duration.milliseconds(300)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let completionBench = CompletionBench(
            binary: aigw, directory: dir, levels: completionInFlight.split(separator: ",").compactMap { Int($0) },
            upstreamLatencies: upstreamLatencyMs.split(separator: ",").compactMap { Int($0) },
            duration: duration, warmUp: warmUp, streams: streams)
        if suite == "completions" {
            try write(Report.completionsOnly(try await completionBench.run(), seconds: seconds))
            return
        }
        let metricsBench = MetricsBench(binary: aigw, directory: dir, levels: levels, duration: duration, warmUp: warmUp)
        if suite == "metrics" {
            try write(Report.metricsOnly(try await metricsBench.run(), seconds: seconds))
            return
        }
        let queueBench = QueueBench(
            binary: aigw, directory: dir, jobs: queueJobs, workers: queueWorkers, batchSize: queueBatch)
        if suite == "queue" {
            let redis = try RedisBaseline()
            defer { redis.stop() }
            try write(Report.queueOnly(try await queueBench.run(redis: redis)))
            return
        }
        // Cache hits at 1 and 16 in flight (the levels), on each store.
        let cacheBench = CacheBench(
            binary: aigw, directory: dir, levels: [1, 16], duration: duration, warmUp: warmUp)
        if suite == "cache" {
            let redis = try RedisBaseline()
            defer { redis.stop() }
            try write(Report.cacheOnly(try await cacheBench.run(redis: redis), seconds: seconds))
            return
        }
        let usageBench = UsageBench(binary: aigw, directory: dir, levels: levels, duration: duration, warmUp: warmUp)
        if suite == "usage" {
            let redis = try RedisBaseline()
            defer { redis.stop() }
            try write(Report.usageOnly(try await usageBench.run(redis: redis), seconds: seconds))
            return
        }

        let (echoUnix, echoTCP) = try await EchoServer.start(unixPath: dir.appendingPathComponent("echo.sock").path)
        let echoPort = echoTCP.localAddress?.port ?? 0
        let server = try AigwProcess(binary: aigw, socket: dir.appendingPathComponent("aigw.sock").path)

        var healthDialect = RPCDialect(method: Aigw_V1_Admin.health.path, token: AigwProcess.token)
        let taskDialect = RPCDialect(method: Aigw_V1_Debug.echo.path, token: AigwProcess.token)
        // The echo carries the same bytes as an RPC Health request frame.
        var envelope = ByteBuffer()
        healthDialect.request(1, into: &envelope)
        envelope.moveReaderIndex(forwardBy: WireProtocol.lengthPrefixBytes)
        let echoDialect = EchoDialect(frame: envelope)

        var rows: [Row] = []
        for transport in ["unix", "tcp"] where suite != "limits" {
            let echoTarget: Target = transport == "unix" ? .unix(dir.appendingPathComponent("echo.sock").path) : .tcp(echoPort)
            let clientTarget: GatewayTarget = transport == "unix"
                ? .unix(path: server.socket) : .tcp(host: "127.0.0.1", port: server.tcpPort)
            // Admin over TCP needs a token; the bench server is started with one.
            let client = try await GatewayClient.connect(to: clientTarget, token: AigwProcess.token)
            let rpcTarget: Target = transport == "unix" ? .unix(server.socket) : .tcp(server.tcpPort)
            for n in levels {
                // Each measurement follows a short warm-up of the same load.
                func measure<D: LoadDialect>(_ target: Target, _ dialect: D) async throws -> Stats {
                    Stats(try await PipelinedLoad.measure(
                        target: target, inFlight: n, warmUp: warmUp, duration: duration) { _ in dialect }.latencies,
                        duration)
                }
                let echo = try await measure(echoTarget, echoDialect)
                let rpc = try await measure(rpcTarget, healthDialect)
                let task = try await measure(rpcTarget, taskDialect)
                _ = try await RPCLoadClient.run(client: client, inFlight: n, duration: warmUp, pinned: pinned)
                let swiftClient = Stats(
                    try await RPCLoadClient.run(client: client, inFlight: n, duration: duration, pinned: pinned), duration)
                let row = Row(transport: transport, inFlight: n, echo: echo, rpc: rpc, task: task, swiftClient: swiftClient)
                print(row.line)
                rows.append(row)
            }
            await client.close()
        }
        try await echoUnix.close()
        try await echoTCP.close()
        server.stop()

        // CheckLimit on each store, over the Unix socket, with limits too large to deny (every call does full work).
        let redis = try RedisBaseline()
        defer { redis.stop() }
        let limitEnvironment = ["AIGW_LIMIT_CHAT_USER": "1000000000/1h", "AIGW_LIMIT_CHAT_ORG": "1000000000/1h"]
        var check = Aigw_V1_CheckLimitRequest()
        var caller = Aigw_V1_Caller()
        caller.userId = "bench-user"
        caller.orgId = "bench-org"
        caller.endpoint = .chat
        check.caller = caller
        let checkDialect = RPCDialect(method: Aigw_V1_Gateway.checkLimit.path, token: AigwProcess.token,
                                      payload: check.serializedBytes())
        var limitRows: [StoreRow] = []
        for store in ["memory", "redis", "redis-unix"] {
            var environment = limitEnvironment
            if store == "redis" { environment["REDIS_URL"] = redis.url }
            if store == "redis-unix" { environment["REDIS_URL"] = redis.socketURL }
            let limits = try AigwProcess(binary: aigw, socket: dir.appendingPathComponent("limits-\(store).sock").path,
                                         environment: environment)
            defer { limits.stop() }
            for n in levels {
                let stats = Stats(try await PipelinedLoad.measure(
                    target: .unix(limits.socket), inFlight: n, warmUp: warmUp, duration: duration
                ) { _ in checkDialect }.latencies, duration)
                let echo = rows.first { $0.transport == "unix" && $0.inFlight == n }?.echo
                let row = StoreRow(rpc: "checklimit", store: store, inFlight: n, stats: stats, echo: echo)
                print(row.line)
                limitRows.append(row)
            }
        }
        let evalsha50 = try redis.evalsha(clients: 50, requests: 100_000)
        let evalsha1 = try redis.evalsha(clients: 1, requests: 10_000)
        print("redis-benchmark EVALSHA: 50 clients \(Int(evalsha50.perSecond))/s; 1 client p50 \(fmt(evalsha1.p50)) us")
        let evalsha50Unix = try redis.evalsha(clients: 50, requests: 100_000, overSocket: true)
        let evalsha1Unix = try redis.evalsha(clients: 1, requests: 10_000, overSocket: true)
        print("redis-benchmark EVALSHA over the Unix socket: 50 clients \(Int(evalsha50Unix.perSecond))/s; "
              + "1 client p50 \(fmt(evalsha1Unix.p50)) us")
        let hop = try await RedisHopBench.run(redisURL: redis.url, duration: duration, warmUp: warmUp)
        print("aigw's Redis client, limit script from an event loop, 1 in flight: p50 \(fmt(hop.p50)) us "
              + "p99 \(fmt(hop.p99)) us \(Int(hop.perSecond))/s")
        let hopUnix = try await RedisHopBench.run(redisURL: redis.socketURL, duration: duration, warmUp: warmUp)
        print("aigw's Redis client over the Unix socket, 1 in flight: p50 \(fmt(hopUnix.p50)) us "
              + "p99 \(fmt(hopUnix.p99)) us \(Int(hopUnix.perSecond))/s")

        let usage = suite == "all" ? try await usageBench.run(redis: redis) : nil
        let cache = suite == "all" ? try await cacheBench.run(redis: redis) : nil
        let completions = suite == "all" ? try await completionBench.run() : nil
        let metrics = suite == "all" ? try await metricsBench.run() : nil
        let queue = suite == "all" ? try await queueBench.run(redis: redis) : nil
        try write(Report(rows: rows, seconds: seconds, limitRows: limitRows, evalsha50: evalsha50,
                         evalsha1: evalsha1, evalsha50Unix: evalsha50Unix, evalsha1Unix: evalsha1Unix, hop: hop,
                         hopUnix: hopUnix, completions: completions, usage: usage, metrics: metrics,
                         queue: queue, cache: cache).markdown)
    }

    private func write(_ report: String) throws {
        if let output {
            try report.write(toFile: output, atomically: true, encoding: .utf8)
            print("wrote \(output)")
        } else {
            print(report)
        }
    }
}
