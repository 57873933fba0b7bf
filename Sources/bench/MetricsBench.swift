import Foundation
import GatewayWire

/// What Prometheus accounting costs: CheckLimit (memory store) and Health with the metrics endpoint off and on, in
/// the same run, and how long a scrape takes once those calls have created their series.
struct MetricsBench {
    let binary: String
    let directory: URL
    let levels: [Int]
    let duration: Duration
    let warmUp: Duration

    struct Row {
        let rpc: String
        let metrics: Bool
        let inFlight: Int
        let stats: Stats

        var line: String {
            "metrics \(metrics ? "on " : "off") \(rpc) in-flight \(inFlight): \(Int(stats.perSecond))/s "
                + "p50 \(fmt(stats.p50)) us p99 \(fmt(stats.p99)) us"
        }
    }

    struct Results {
        let rows: [Row]
        /// Scrape latency (p50, p99, microseconds) and exposition size.
        let scrapeP50: Double
        let scrapeP99: Double
        let scrapeBytes: Int
    }

    func run() async throws -> Results {
        var check = Aigw_V1_CheckLimitRequest()
        var caller = Aigw_V1_Caller()
        caller.userId = "bench-user"
        caller.orgId = "bench-org"
        caller.endpoint = .chat
        check.caller = caller
        let checkDialect = RPCDialect(method: Aigw_V1_Gateway.checkLimit.path, token: AigwProcess.token,
                                      payload: check.serializedBytes())
        let healthDialect = RPCDialect(method: Aigw_V1_Admin.health.path, token: AigwProcess.token)
        var rows: [Row] = []
        var scrape: (Double, Double, Int) = (0, 0, 0)
        for metrics in [false, true] {
            let server = try AigwProcess(
                binary: binary, socket: directory.appendingPathComponent("metrics-\(metrics).sock").path,
                environment: [
                    "AIGW_LIMIT_CHAT_USER": "1000000000/1h", "AIGW_LIMIT_CHAT_ORG": "1000000000/1h",
                    "AIGW_METRICS_LISTEN": metrics ? "127.0.0.1:0" : "",
                ])
            defer { server.stop() }
            for n in levels {
                for (rpc, dialect) in [("checklimit", checkDialect), ("health", healthDialect)] {
                    let stats = Stats(try await PipelinedLoad.measure(
                        target: .unix(server.socket), inFlight: n, warmUp: warmUp, duration: duration
                    ) { _ in dialect }.latencies, duration)
                    let row = Row(rpc: rpc, metrics: metrics, inFlight: n, stats: stats)
                    print(row.line)
                    rows.append(row)
                }
            }
            if metrics, let address = server.metricsAddress { scrape = try Self.scrapes(address, count: 50) }
        }
        print("scrape: p50 \(fmt(scrape.0)) us p99 \(fmt(scrape.1)) us, \(scrape.2) bytes")
        return Results(rows: rows, scrapeP50: scrape.0, scrapeP99: scrape.1, scrapeBytes: scrape.2)
    }

    /// `count` sequential scrapes over fresh connections (as Prometheus makes them): latency percentiles and size.
    static func scrapes(_ address: String, count: Int) throws -> (Double, Double, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw BenchError("bad metrics address \(address)")
        }
        var latencies: [UInt64] = []
        var size = 0
        for _ in 0..<count {
            let start = ContinuousClock.now
            size = try get(port: port)
            let elapsed = ContinuousClock.now - start
            latencies.append(UInt64(elapsed.components.seconds) * 1_000_000_000
                + UInt64(elapsed.components.attoseconds / 1_000_000_000))
        }
        let stats = Stats(latencies, .seconds(1))
        return (stats.p50, stats.p99, size)
    }

    /// GET /metrics; returns the response's size in bytes.
    private static func get(port: UInt16) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw BenchError("cannot connect to the metrics port \(port)") }
        let request = "GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            total += n
        }
        return total
    }
}

extension Report {
    /// The report of `bench --suite metrics`.
    static func metricsOnly(_ results: MetricsBench.Results, seconds: Double) -> String {
        (header + metricsSection(results, seconds: seconds) + [""]).joined(separator: "\n")
    }

    static func metricsSection(_ m: MetricsBench.Results, seconds: Double) -> [String] {
        var lines = [
            "## Prometheus metrics overhead",
            "",
            "CheckLimit (memory store) and Health over the Unix socket, with `metrics.listen` empty (off) and set (on,",
            "the default), in the same run, \(fmt(seconds)) s per measurement. With metrics on, each call adds two",
            "clock reads, one atomic increment and one histogram update; CheckLimit adds one or two increments more.",
            "",
            "| RPC | in flight | off: calls/s | on: calls/s | change | off: p50 us | on: p50 us |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for off in m.rows where !off.metrics {
            guard let on = m.rows.first(where: { $0.metrics && $0.rpc == off.rpc && $0.inFlight == off.inFlight })
            else { continue }
            let change = (on.stats.perSecond / max(off.stats.perSecond, 1) - 1) * 100
            lines.append("| \(off.rpc) | \(off.inFlight) | \(Int(off.stats.perSecond)) | \(Int(on.stats.perSecond)) | "
                + "\(change >= 0 ? "+" : "")\(fmt(change))% | \(fmt(off.stats.p50)) | \(fmt(on.stats.p50)) |")
        }
        lines += [
            "",
            "A scrape (GET /metrics on a new connection) after that traffic: p50 \(fmt(m.scrapeP50)) us, p99 "
                + "\(fmt(m.scrapeP99)) us, \(m.scrapeBytes) bytes.",
        ]
        return lines
    }
}
