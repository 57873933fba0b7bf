import Foundation
import GatewayRedis

/// A private redis-server for the benchmark and redis-benchmark's figures for EVALSHA of the limit and usage
/// scripts: the baselines the Redis-backed CheckLimit and TrackUsage are compared with.
final class RedisBaseline {
    let port: Int
    /// The server also listens here, for the Unix-socket measurements.
    let socketPath: String
    /// The response cache entry `cacheEntryBytes()` found, which `get` reads.
    private var cacheKey: String?
    private let process = Process()
    private let directory: URL

    init() throws {
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-bench-redis-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        socketPath = directory.appendingPathComponent("redis.sock").path
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", directory.path, "--unixsocket", socketPath, "--unixsocketperm", "700"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if (try? Self.run("/usr/bin/redis-cli", ["-p", String(port), "PING"]))?.contains("PONG") == true { return }
            usleep(25_000)
        }
        throw BenchError("redis-server did not start")
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// The same server over its Unix socket.
    var socketURL: String { "unix://\(socketPath)?db=0" }

    /// redis-benchmark running EVALSHA of the limit script over two token-bucket keys, as one CheckLimit does.
    /// `overSocket`: through the Unix socket instead of loopback TCP.
    func evalsha(clients: Int, requests: Int, overSocket: Bool = false) throws
        -> (perSecond: Double, p50: Double, p99: Double)
    {
        let arguments = ["1", "0", "1", "1000000000", "3600000", "1000000000", "0",
                         "1", "1000000000", "3600000", "1000000000", "0"]
        return try evalsha(RedisRateLimitStore.scriptSource, keys: ["aigw:rl:bench:user", "aigw:rl:bench:org"],
                           arguments: arguments, clients: clients, requests: requests,
                           options: overSocket ? ["-s", socketPath] : [])
    }

    /// redis-benchmark running EVALSHA of the usage record script, as one TrackUsage does: gpt-4o-mini, 1,000 input
    /// and 500 output tokens, for `user` in `org` on `day`. Each call claims a request id of its own
    /// (`__rand_int__` over a billion values), so (but for a handful of collisions) every call records.
    func evalshaUsage(clients: Int, requests: Int, day: String, user: String, org: String) throws
        -> (perSecond: Double, p50: Double, p99: Double)
    {
        let p = "aigw:usage:"
        let keys = [
            "\(p)req:baseline-__rand_int__", "\(p)day:\(day):all", "\(p)day:\(day):user:\(user)",
            "\(p)day:\(day):org:\(org)", "\(p)spend:\(day):user", "\(p)spend:\(day):org",
        ]
        // As RedisUsageStore sends them: claim TTL, aggregate TTL, model, endpoint, user, org, then requests, input,
        // cached input, cache write, output, cost and cache hits.
        let arguments = ["691200", "34560000", "gpt-4o-mini", "summarize", user, org,
                         "1", "1000", "0", "0", "500", "450000", "0"]
        return try evalsha(RedisUsageStore.recordScriptSource, keys: keys, arguments: arguments, clients: clients,
                           requests: requests, randomKeyspace: 1_000_000_000)
    }

    /// Usage records the baseline wrote for `user` on `day`: the `requests` field of its day hash.
    func recordedRequests(day: String, user: String) throws -> Int {
        Int(try Self.run("/usr/bin/redis-cli", ["-p", String(port), "HGET", "aigw:usage:day:\(day):user:\(user)",
                                                "requests"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// The size of the one response cache entry aigw stored (its stored form), remembered for `get`.
    func cacheEntryBytes() throws -> Int {
        let keys = try Self.run("/usr/bin/redis-cli", ["-p", String(port), "--scan", "--pattern", "aigw:cache:*"])
            .split(separator: "\n").map(String.init)
        guard keys.count == 1, let key = keys.first else { throw BenchError("expected one cache entry, found \(keys)") }
        cacheKey = key
        return Int(try Self.run("/usr/bin/redis-cli", ["-p", String(port), "STRLEN", key])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// redis-benchmark GET of the cache entry: the floor of a Redis cache hit.
    func get(clients: Int, requests: Int) throws -> (perSecond: Double, p50: Double, p99: Double) {
        guard let cacheKey else { throw BenchError("no cache entry to read") }
        return try benchmark(["GET", cacheKey], clients: clients, requests: requests)
    }

    private func evalsha(
        _ script: String, keys: [String], arguments: [String], clients: Int, requests: Int, randomKeyspace: Int? = nil,
        options: [String] = []
    ) throws -> (perSecond: Double, p50: Double, p99: Double) {
        let sha = try Self.run("/usr/bin/redis-cli", ["-p", String(port), "SCRIPT", "LOAD", script])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let random = randomKeyspace.map { ["-r", String($0)] } ?? []
        return try benchmark(["EVALSHA", sha, String(keys.count)] + keys + arguments, clients: clients,
                             requests: requests, options: random + options)
    }

    /// redis-benchmark running one command: requests per second and p50/p99 in microseconds.
    private func benchmark(_ command: [String], clients: Int, requests: Int, options: [String] = []) throws
        -> (perSecond: Double, p50: Double, p99: Double)
    {
        let csv = try Self.run("/usr/bin/redis-benchmark",
                               ["-p", String(port), "-c", String(clients), "-n", String(requests), "--csv", "--precision", "3"]
                                + options + command)
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",...
        guard let row = csv.split(separator: "\n").last(where: { $0.hasPrefix("\"" + command[0]) }) else {
            throw BenchError("unexpected redis-benchmark output: \(csv)")
        }
        let fields = row.split(separator: ",").map { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        guard fields.count >= 7, let rps = fields[1], let p50 = fields[4], let p99 = fields[6] else {
            throw BenchError("unexpected redis-benchmark row: \(row)")
        }
        return (rps, p50 * 1000, p99 * 1000)
    }

    func stop() {
        // SIGKILL: a throwaway server, and one spawned with SIGTERM blocked (it inherits this process's signal mask).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func run(_ path: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
