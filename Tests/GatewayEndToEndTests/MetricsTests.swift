import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import RedisTestSupport
import Testing

/// The Prometheus endpoint of a real aigw, scraped over HTTP while real traffic (Complete against the fake upstream,
/// CheckLimit with denials, failures) moves the counters; and `GetModelStats` / `aigwctl models` over the same traffic.
@Suite(.serialized) struct MetricsTests {
    typealias Harness = CompletionTests.Harness

    static let env = [
        "AIGW_METRICS_LISTEN": "127.0.0.1:0",
        "AIGW_LIMIT_SEARCH_USER": "2/1m", "AIGW_LIMIT_SEARCH_ORG": "off",
    ]

    @Test func countersMoveExactlyWithTheTraffic() async throws {
        let h = try await Harness.start(Self.env)
        defer { Task { await h.stop() } }
        let address = try #require(h.server.metricsAddress, "the listening line names the metrics address")
        let before = try Scrape(address)
        #expect(before.value("aigw_build_info", [:]) == 1)

        // Two answers (the first after one retried server error), one authentication failure, one bad request.
        h.fake.setReply(FakeReply(text: "one two three", inputTokens: 11), model: "gpt-4o")
        h.fake.enqueue([.serverError()], model: "gpt-4o")
        _ = try await h.client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o"))
        let second = try await h.client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o"))
        h.fake.enqueue([.unauthorized], model: "gpt-4o")
        await #expect(throws: RPCError.self) {
            try await h.client.call(Aigw_V1_Gateway.complete, CompletionTests.request("gpt-4o"))
        }
        var noCaller = CompletionTests.request("gpt-4o")
        noCaller.caller = nil
        await #expect(throws: RPCError.self) { try await h.client.call(Aigw_V1_Gateway.complete, noCaller) }

        // Three checks against a limit of two: allowed, allowed, denied by the user level.
        var caller = Aigw_V1_Caller()
        caller.userId = "metrics-user"
        caller.endpoint = .search
        var check = Aigw_V1_CheckLimitRequest()
        check.caller = caller
        for _ in 0..<3 { _ = try await h.client.call(Aigw_V1_Gateway.checkLimit, check) }

        let after = try Scrape(address)
        func delta(_ name: String, _ labels: [String: String]) -> Double {
            (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
        }
        let complete = ["method": "aigw.v1.Gateway/Complete"]
        #expect(delta("aigw_rpc_requests_total", complete.merging(["code": "OK"]) { $1 }) == 2)
        #expect(delta("aigw_rpc_requests_total", complete.merging(["code": "FAILED_PRECONDITION"]) { $1 }) == 1)
        #expect(delta("aigw_rpc_requests_total", complete.merging(["code": "INVALID_ARGUMENT"]) { $1 }) == 1)
        #expect(delta("aigw_rpc_duration_seconds_count", complete) == 4)
        let checkLimit = ["method": "aigw.v1.Gateway/CheckLimit", "code": "OK"]
        #expect(delta("aigw_rpc_requests_total", checkLimit) == 3)

        let gpt = ["provider": "openai", "model": "gpt-4o"]
        #expect(delta("aigw_upstream_requests_total", gpt.merging(["result": "ok"]) { $1 }) == 2)
        #expect(delta("aigw_upstream_requests_total", gpt.merging(["result": "error"]) { $1 }) == 2)
        #expect(delta("aigw_upstream_errors_total", gpt.merging(["category": "server_error"]) { $1 }) == 1)
        #expect(delta("aigw_upstream_errors_total", gpt.merging(["category": "authentication"]) { $1 }) == 1)
        #expect(delta("aigw_upstream_retries_total", gpt) == 1)
        #expect(delta("aigw_upstream_request_duration_seconds_count", gpt) == 4)

        let usage = try #require(second.usage)
        let chat = ["model": "gpt-4o", "endpoint": "chat"]
        #expect(delta("aigw_tokens_total", chat.merging(["kind": "input"]) { $1 }) == Double(2 * usage.inputTokens))
        #expect(delta("aigw_tokens_total", chat.merging(["kind": "output"]) { $1 }) == Double(2 * usage.outputTokens))
        #expect(delta("aigw_usage_records_total", chat.merging(["cache_hit": "false"]) { $1 }) == 2)
        let cost = delta("aigw_cost_usd_total", chat)
        #expect(abs(cost - 2 * Double(second.costNanoUsd) / 1e9) < 1e-12 && cost > 0)

        #expect(delta("aigw_ratelimit_checks_total", ["endpoint": "search", "result": "allowed"]) == 2)
        #expect(delta("aigw_ratelimit_checks_total", ["endpoint": "search", "result": "denied"]) == 1)
        #expect(delta("aigw_ratelimit_denials_total", ["endpoint": "search", "level": "user"]) == 1)
        #expect(delta("aigw_ratelimit_fail_open_total", ["endpoint": "search"]) == 0)
        #expect(after.value("aigw_connections_open", [:]) ?? 0 >= 1)

        // The same traffic, per model, through Admin.
        let stats = try await h.client.call(Aigw_V1_Admin.getModelStats, Aigw_V1_GetModelStatsRequest())
        let model = try #require(stats.models.first { $0.model == "gpt-4o" })
        #expect(model.requests == 4 && model.errors == 2)
        #expect(model.errorRate == 0.5)
        #expect(model.latencyP50Ms > 0 && model.latencyP95Ms >= model.latencyP50Ms)
        #expect(model.costPerRequestNanoUsd == second.costNanoUsd)
        #expect(stats.windowSeconds == 900)

        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let table = try CLI.run(ctl, ["models", "--socket", h.server.socketPath])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("MODEL") && table.stdout.contains("gpt-4o"), "\(table.stdout)")
        let json = try CLI.run(ctl, ["models", "--socket", h.server.socketPath, "--json", "--model", "gpt-4o"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.count == 1 && models.first?["model"] as? String == "gpt-4o")
    }

    @Test func streamsReportTimeToFirstToken() async throws {
        let h = try await Harness.start(Self.env)
        defer { Task { await h.stop() } }
        let address = try #require(h.server.metricsAddress)
        h.fake.setReply(FakeReply(text: "a b c d", inputTokens: 5), model: "gpt-4o-mini")
        let (events, error) = await CompletionTests.collect(h, CompletionTests.request("gpt-4o-mini"))
        #expect(error == nil && !events.isEmpty)
        let scrape = try Scrape(address)
        #expect(scrape.value("aigw_stream_first_token_seconds_count", ["model": "gpt-4o-mini"]) == 1)
        #expect(scrape.value("aigw_rpc_requests_total", ["method": "aigw.v1.Gateway/Stream", "code": "OK"]) == 1)
        let stats = try await h.client.call(Aigw_V1_Admin.getModelStats, Aigw_V1_GetModelStatsRequest())
        #expect((stats.models.first { $0.model == "gpt-4o-mini" }?.firstTokenP50Ms ?? 0) > 0)
    }

    /// A Redis outage shows as Redis errors, `aigw_redis_up` 0 and fail-open checks; its end as a reconnect.
    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI,
                   "needs redis-server, which `make test` installs"))
    func redisOutageAndReconnectAreCounted() async throws {
        let redis = try RedisServerProcess()
        let server = try ServerProcess(environment: ["REDIS_URL": redis.url])
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate() } }
        let address = try #require(server.metricsAddress)
        var caller = Aigw_V1_Caller()
        caller.userId = "redis-metrics"
        caller.endpoint = .chat
        var check = Aigw_V1_CheckLimitRequest()
        check.caller = caller
        #expect(try await !client.call(Aigw_V1_Gateway.checkLimit, check).degraded)
        let before = try Scrape(address)
        #expect(before.value("aigw_redis_up", [:]) == 1)

        redis.kill()
        #expect(try await client.call(Aigw_V1_Gateway.checkLimit, check).degraded)
        let down = try Scrape(address)
        #expect(down.value("aigw_redis_up", [:]) == 0)
        #expect((down.value("aigw_redis_errors_total", [:]) ?? 0) >= 1)
        #expect(down.value("aigw_ratelimit_fail_open_total", ["endpoint": "chat"]) == 1)

        try redis.start()
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, try await client.call(Aigw_V1_Gateway.checkLimit, check).degraded {
            try await Task.sleep(for: .milliseconds(50))
        }
        let back = try Scrape(address)
        #expect(back.value("aigw_redis_up", [:]) == 1)
        #expect((back.value("aigw_redis_reconnects_total", [:]) ?? 0) >= 1)
    }

    @Test func onlyMetricsIsServed() async throws {
        let server = try ServerProcess(environment: ["AIGW_METRICS_LISTEN": "127.0.0.1:0"])
        defer { server.terminate() }
        let address = try #require(server.metricsAddress)
        let (status, _) = try Scrape.get(address, path: "/other")
        #expect(status == 404)
        let (post, _) = try Scrape.get(address, path: "/metrics", method: "POST")
        #expect(post == 405)
        let (ok, body) = try Scrape.get(address, path: "/metrics")
        #expect(ok == 200 && body.contains("# TYPE aigw_rpc_requests_total counter"))
    }

    /// A client that connects and sends nothing is disconnected, so idle connections cannot pile up.
    @Test func idleConnectionsAreClosed() throws {
        let server = try ServerProcess()
        defer { server.terminate() }
        let address = try #require(server.metricsAddress)
        let fd = try Scrape.connect(address)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = ContinuousClock.now
        var byte: UInt8 = 0
        #expect(recv(fd, &byte, 1, 0) == 0, "the server closed the connection")
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test func remoteAddressNeedsAllowRemote() throws {
        let refused = try CLI.run(
            ServerProcess.binary("aigw", env: "AIGW_BIN"), ["check-config"],
            environment: ["AIGW_METRICS_LISTEN": "0.0.0.0:9464"])
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("metrics.listen"), "\(refused.stdout)\(refused.stderr)")
        let allowed = try CLI.run(
            ServerProcess.binary("aigw", env: "AIGW_BIN"), ["check-config"],
            environment: ["AIGW_METRICS_LISTEN": "0.0.0.0:9464", "AIGW_METRICS_ALLOW_REMOTE": "true"])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
    }

    @Test func disabledServesNothing() async throws {
        let server = try ServerProcess(environment: ["AIGW_METRICS_LISTEN": ""])
        defer { server.terminate() }
        #expect(server.metricsAddress == nil)
        // Model statistics do not depend on the endpoint.
        let client = try await server.client()
        let stats = try await client.call(Aigw_V1_Admin.getModelStats, Aigw_V1_GetModelStatsRequest())
        #expect(stats.models.isEmpty && stats.windowSeconds == 900)
        await client.close()
    }
}

/// One scrape of the endpoint, parsed into series: `name{label="value",...}` to value.
struct Scrape {
    let series: [(name: String, labels: [String: String], value: Double)]

    init(_ address: String) throws {
        let (status, body) = try Self.get(address, path: "/metrics")
        guard status == 200 else { throw TestFailure("scrape answered \(status): \(body)") }
        var series: [(String, [String: String], Double)] = []
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw TestFailure("unparseable line: \(line)")
            }
            let key = line[..<space]
            var labels: [String: String] = [:]
            var name = String(key)
            if let brace = key.firstIndex(of: "{") {
                name = String(key[..<brace])
                let inner = key[key.index(after: brace)..<key.index(before: key.endIndex)]
                // Label values here never contain '",' so a simple split suffices.
                for pair in inner.split(separator: "\",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
                }
            }
            series.append((name, labels, value))
        }
        self.series = series
    }

    /// The value of the series called `name` whose labels include `labels`, summed over the rest of its labels; nil
    /// when there is none.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let matching = series.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// A plain HTTP/1.1 request over a socket; the server closes after answering.
    static func get(_ address: String, path: String, method: String = "GET") throws -> (Int, String) {
        let fd = try connect(address)
        defer { close(fd) }
        let request = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nContent-Length: 0\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { throw TestFailure("no HTTP head: \(text)") }
        let statusLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, String(text[headEnd.upperBound...]))
    }

    /// A TCP connection to "127.0.0.1:PORT"; the caller closes it.
    static func connect(_ address: String) throws -> Int32 {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw TestFailure("bad address \(address)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("cannot connect to \(address)")
        }
        return fd
    }
}
