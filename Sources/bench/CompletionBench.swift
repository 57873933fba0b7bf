import Foundation
import GatewayClient
import GatewayProviders
import GatewayWire

/// Complete and Stream through aigw, next to the same request sent straight to the fake upstream with the libcurl
/// client aigw itself uses (`CurlHTTPClient`), in the same run and against the same fake process. The difference
/// between the two is what aigw adds: the RPC, limits, translation both ways, SSE parsing and the hop through a second
/// process. Then aigw's resident memory with many streams open (`StreamMemoryBench`).
struct CompletionBench {
    static let model = "gpt-4o-mini"
    static let message = "hello from the bench"
    /// The fake's default reply is "You said: " + the message, one piece per word.
    static let reply = "You said: " + message

    /// The aigw binary; it also runs the fake upstream (`aigw fake-upstream`).
    let binary: String
    let directory: URL
    let levels: [Int]
    /// How long the fake waits before answering, per pass (0: at once). A provider takes hundreds of milliseconds to
    /// its first byte; a pass with some latency measures aigw's path without the three processes saturating the
    /// two cores, which the zero-latency pass does at 16 and 64 in flight.
    let upstreamLatencies: [Int]
    let duration: Duration
    let warmUp: Duration
    let streams: Int

    func run() async throws -> CompletionResults {
        let fake = try FakeUpstreamProcess(binary: binary)
        defer { fake.stop() }
        let server = try AigwProcess(
            binary: binary, socket: directory.appendingPathComponent("completions.sock").path,
            environment: Self.environment(upstream: fake.baseURL))
        defer { server.stop() }
        let http = try CurlHTTPClient()
        defer { http.shutdown() }
        let client = try await GatewayClient.connect(to: .unix(path: server.socket))
        let request = Self.request(Self.message)
        let url = fake.baseURL + "/v1/chat/completions"

        // Both paths must get the fake's reply before anything is timed.
        let answer = try await client.call(Aigw_V1_Gateway.complete, request)
        guard answer.content == Self.reply else { throw BenchError("aigw answered \(answer.content.debugDescription)") }
        let direct = try await http.execute(Self.upstreamRequest(url: url, stream: false))
        let body = String(decoding: try await direct.body.collect(upTo: 1 << 20), as: UTF8.self)
        guard direct.status == 200, body.contains(Self.reply) else { throw BenchError("fake answered \(body)") }

        var rows: [CompletionRow] = []
        for latency in upstreamLatencies {
            try await Self.setUpstreamLatency(http, fake: fake.baseURL, milliseconds: latency)
            rows += try await pass(latency: latency, http: http, client: client, request: request, url: url)
        }
        try await Self.setUpstreamLatency(http, fake: fake.baseURL, milliseconds: 0)
        await client.close()

        let memory = try await StreamMemoryBench(
            binary: binary, socket: directory.appendingPathComponent("streams.sock").path, streams: streams
        ).run()
        print(memory.line)
        return CompletionResults(rows: rows, memory: memory)
    }

    /// Every level and mode once, with the fake answering after `latency` ms.
    private func pass(
        latency: Int, http: CurlHTTPClient, client: GatewayClient, request: Aigw_V1_CompleteRequest, url: String
    ) async throws -> [CompletionRow] {
        var rows: [CompletionRow] = []
        for n in levels {
            for mode in CompletionMode.allCases {
                let directRequest = Self.upstreamRequest(url: url, stream: mode == .stream)
                let directLoad = try await measure(n) {
                    if mode == .stream {
                        try await Self.directStream(http, directRequest)
                    } else {
                        try await Self.directComplete(http, directRequest)
                    }
                }
                let aigwLoad = try await measure(n) {
                    if mode == .stream {
                        try await Self.gatewayStream(client, request)
                    } else {
                        try await Self.gatewayComplete(client, request)
                    }
                }
                let row = CompletionRow(
                    mode: mode, inFlight: n, upstreamMillis: latency, direct: Stats(directLoad.latencies, duration),
                    aigw: Stats(aigwLoad.latencies, duration),
                    directTTFT: mode == .stream ? Stats(directLoad.firstTokens, duration) : nil,
                    aigwTTFT: mode == .stream ? Stats(aigwLoad.firstTokens, duration) : nil,
                    failures: directLoad.failures + aigwLoad.failures)
                print(row.line)
                rows.append(row)
            }
        }
        return rows
    }

    /// Scripts the fake's default answer through its control API: `slow-first-token:MS` waits before the response
    /// head, as a provider does before its first byte.
    static func setUpstreamLatency(_ http: CurlHTTPClient, fake: String, milliseconds: Int) async throws {
        let behaviour = milliseconds > 0 ? "slow-first-token:\(milliseconds)" : "ok"
        let response = try await http.execute(HTTPRequest(
            method: "POST", url: fake + "/_fake/default", headers: [("Content-Type", "application/json")],
            body: Array(#"{"model":null,"behaviour":"\#(behaviour)"}"#.utf8)))
        _ = try await response.body.collect(upTo: 1 << 16)
        guard response.status == 200 else { throw BenchError("the fake refused \(behaviour): \(response.status)") }
    }

    /// A warm-up of the same load, then the timed run.
    private func measure(_ inFlight: Int, _ request: @escaping @Sendable () async throws -> UInt64?) async throws
        -> ClosedLoad.Result
    {
        _ = try await ClosedLoad.run(inFlight: inFlight, duration: warmUp, request)
        return try await ClosedLoad.run(inFlight: inFlight, duration: duration, request)
    }

    /// aigw pointed at `upstream` for both providers, with limits too large to deny.
    static func environment(upstream: String) -> [String: String] {
        [
            "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": upstream + "/v1",
            "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": upstream + "/v1",
            "AIGW_LIMIT_CHAT_USER": "1000000000/1h", "AIGW_LIMIT_CHAT_ORG": "1000000000/1h",
            // The same request every time: measure the upstream path, not the response cache (--suite cache).
            "AIGW_CACHE_ENABLED": "false",
        ]
    }

    /// The RPC request: one user message to `model`.
    static func request(_ text: String) -> Aigw_V1_CompleteRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = "bench-user"
        caller.orgId = "bench-org"
        caller.endpoint = .chat
        var message = Aigw_V1_ChatMessage()
        message.role = .user
        message.content = text
        var request = Aigw_V1_CompleteRequest()
        request.caller = caller
        request.model = model
        request.messages = [message]
        return request
    }

    /// The same request as OpenAI chat-completions JSON, with the headers aigw sends.
    static func upstreamRequest(url: String, stream: Bool) -> HTTPRequest {
        var json = #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(message)"}]"#
        if stream { json += #","stream":true,"stream_options":{"include_usage":true}"# }
        json += "}"
        return HTTPRequest(
            method: "POST", url: url,
            headers: [
                ("Authorization", "Bearer sk-bench"), ("Content-Type", "application/json"),
                ("Accept", stream ? "text/event-stream" : "application/json"),
            ],
            body: Array(json.utf8))
    }

    static func directComplete(_ http: CurlHTTPClient, _ request: HTTPRequest) async throws -> UInt64? {
        let response = try await http.execute(request)
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == 200, !body.isEmpty else { throw BenchError("fake answered \(response.status)") }
        return nil
    }

    /// Reads the SSE body to its end; the first token is the first chunk with a non-empty content delta.
    static func directStream(_ http: CurlHTTPClient, _ request: HTTPRequest) async throws -> UInt64? {
        let response = try await http.execute(request)
        guard response.status == 200 else { throw BenchError("fake answered \(response.status)") }
        var first: UInt64?
        var last: [UInt8] = []
        for try await chunk in response.body {
            if first == nil, hasContentDelta(chunk) { first = Clock.nanos() }
            last = chunk
        }
        guard let first, String(decoding: last, as: UTF8.self).contains("[DONE]") else {
            throw BenchError("the fake's stream ended early")
        }
        return first
    }

    static func gatewayComplete(_ client: GatewayClient, _ request: Aigw_V1_CompleteRequest) async throws -> UInt64? {
        let answer = try await client.call(Aigw_V1_Gateway.complete, request)
        guard !answer.content.isEmpty else { throw BenchError("aigw answered no content") }
        return nil
    }

    /// Reads the RPC stream to its end; the first token is the first `TextDelta`.
    static func gatewayStream(_ client: GatewayClient, _ request: Aigw_V1_CompleteRequest) async throws -> UInt64? {
        var first: UInt64?
        var ended = false
        for try await event in client.stream(Aigw_V1_Gateway.stream, request) {
            switch event.event {
            case .delta where first == nil: first = Clock.nanos()
            case .end: ended = true
            default: break
            }
        }
        guard let first, ended else { throw BenchError("aigw's stream ended without a delta or StreamEnd") }
        return first
    }

    /// Whether an SSE chunk carries a non-empty `"content":"…"`. The first OpenAI chunk announces the role with an
    /// empty content, which is not a token.
    static func hasContentDelta(_ chunk: [UInt8]) -> Bool {
        let key = Array(#""content":""#.utf8)
        guard chunk.count > key.count else { return false }
        for start in 0..<(chunk.count - key.count) where chunk[start] == key[0] {
            if chunk[start..<start + key.count].elementsEqual(key), chunk[start + key.count] != UInt8(ascii: "\"") {
                return true
            }
        }
        return false
    }
}
