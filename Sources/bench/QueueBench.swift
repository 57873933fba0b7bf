import Foundation
import GatewayClient
import GatewayWire

/// Jobs per second from Enqueue to succeeded on Redis, against `aigw fake-upstream` answering at once: the whole
/// path (Enqueue RPC and script, batched claims, the completion through libcurl with its rate-limit check and usage
/// record, the finish script) with nothing upstream to wait for.
///
/// Two passes, each on an empty Redis database:
/// - **end to end**: one aigw enqueues (256 calls in flight) while its workers run the jobs; timed from the first
///   Enqueue until GetQueueStats counts every job succeeded.
/// - **drain**: the jobs are enqueued through an aigw without workers first; then an aigw with workers starts and is
///   timed from listening until every job succeeded: worker throughput alone.
struct QueueBench {
    let binary: String
    let directory: URL
    let jobs: Int
    let workers: Int
    let batchSize: Int

    func run(redis: RedisBaseline) async throws -> QueueResults {
        let loadBefore = loadAverage()
        let fake = try FakeUpstreamProcess(binary: binary)
        defer { fake.stop() }
        var environment = CompletionBench.environment(upstream: fake.baseURL)
        environment["AIGW_QUEUE_WORKERS"] = String(workers)
        environment["AIGW_QUEUE_BATCH_SIZE"] = String(batchSize)
        environment["AIGW_QUEUE_POLL_INTERVAL_MS"] = "5"
        environment["AIGW_QUEUE_MAX_JOBS"] = String(max(jobs * 2, 100_000))

        // End to end.
        environment["REDIS_URL"] = database(redis, 2)
        try flush(redis, 2)
        let server = try AigwProcess(
            binary: binary, socket: directory.appendingPathComponent("queue.sock").path, environment: environment)
        let client = try await GatewayClient.connect(to: .unix(path: server.socket), token: AigwProcess.token)
        let started = ContinuousClock.now
        let enqueueSeconds = try await enqueue(client)
        let (endToEnd, check) = try await waitForAll(client, since: started)
        await client.close()
        server.stop()
        let e2e = QueueRow(pass: "end to end", jobs: jobs, seconds: endToEnd, enqueueSeconds: enqueueSeconds,
                           succeeded: check.succeeded, dead: check.dead + check.failed,
                           averageProcessingMs: check.averageProcessingMs)
        print(e2e.line)

        // Drain: fill through an instance without workers, then time one with workers.
        environment["REDIS_URL"] = database(redis, 3)
        try flush(redis, 3)
        var filling = environment
        filling["AIGW_QUEUE_WORKERS"] = "0"
        let filler = try AigwProcess(
            binary: binary, socket: directory.appendingPathComponent("queue-fill.sock").path, environment: filling)
        let fillClient = try await GatewayClient.connect(to: .unix(path: filler.socket), token: AigwProcess.token)
        let fillSeconds = try await enqueue(fillClient)
        await fillClient.close()
        filler.stop()
        let worker = try AigwProcess(
            binary: binary, socket: directory.appendingPathComponent("queue-drain.sock").path, environment: environment)
        let drainStarted = ContinuousClock.now
        let workerClient = try await GatewayClient.connect(to: .unix(path: worker.socket), token: AigwProcess.token)
        let (drainSeconds, drainCheck) = try await waitForAll(workerClient, since: drainStarted)
        await workerClient.close()
        worker.stop()
        let drain = QueueRow(pass: "drain", jobs: jobs, seconds: drainSeconds, enqueueSeconds: fillSeconds,
                             succeeded: drainCheck.succeeded, dead: drainCheck.dead + drainCheck.failed,
                             averageProcessingMs: drainCheck.averageProcessingMs)
        print(drain.line)
        return QueueResults(rows: [e2e, drain], workers: workers, batchSize: batchSize, loadBefore: loadBefore,
                            loadAfter: loadAverage())
    }

    /// Enqueues every job with 256 calls in flight; returns the seconds it took.
    private func enqueue(_ client: GatewayClient) async throws -> Double {
        let started = ContinuousClock.now
        let lanes = 256
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var i = lane
                    while i < jobs {
                        var request = Aigw_V1_EnqueueRequest()
                        request.request = CompletionBench.request("\(CompletionBench.message) \(i)")
                        request.priority = [.critical, .high, .normal, .low, .background][i % 5]
                        _ = try await client.call(Aigw_V1_Gateway.enqueue, request)
                        i += lanes
                    }
                }
            }
            try await group.waitForAll()
        }
        return seconds(ContinuousClock.now - started)
    }

    private func waitForAll(_ client: GatewayClient, since start: ContinuousClock.Instant) async throws
        -> (Double, Aigw_V1_GetQueueStatsResponse)
    {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let stats = try await client.call(Aigw_V1_Admin.getQueueStats, Aigw_V1_GetQueueStatsRequest())
            if stats.succeeded + stats.dead + stats.failed >= UInt64(jobs) {
                return (seconds(ContinuousClock.now - start), stats)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("the queue did not finish \(jobs) jobs within 600 s")
    }

    private func database(_ redis: RedisBaseline, _ db: Int) -> String { "redis://127.0.0.1:\(redis.port)/\(db)" }

    private func flush(_ redis: RedisBaseline, _ db: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        p.arguments = ["-p", String(redis.port), "-n", String(db), "FLUSHDB"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// One queue pass.
struct QueueRow {
    let pass: String
    let jobs: Int
    let seconds: Double
    let enqueueSeconds: Double
    let succeeded: UInt64
    /// Failed or dead: a correct run has none.
    let dead: UInt64
    let averageProcessingMs: UInt64

    var perSecond: Double { Double(jobs) / max(seconds, 1e-9) }
    var enqueuePerSecond: Double { Double(jobs) / max(enqueueSeconds, 1e-9) }

    var line: String {
        "queue pass=\(pass) jobs=\(jobs) seconds=\(fmt(seconds, 2)) jobs/s=\(Int(perSecond)) "
            + "enqueue/s=\(Int(enqueuePerSecond)) succeeded=\(succeeded) dead+failed=\(dead) avg_ms=\(averageProcessingMs)"
    }
}

struct QueueResults {
    let rows: [QueueRow]
    let workers: Int
    let batchSize: Int
    let loadBefore: String
    let loadAfter: String
}
