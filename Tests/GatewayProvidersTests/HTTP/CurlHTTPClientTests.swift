import FakeUpstream
import GatewayProviders
import Testing

@Suite("CurlHTTPClient: requests, streaming, reuse", .timeLimit(.minutes(1)))
struct CurlHTTPClientTests {
    @Test("a non-stream POST returns status, headers and body, and sends exactly what was asked")
    func nonStreamPost() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setReply(FakeReply(pieces: ["Hello", " there"], inputTokens: 3))
            var request = h.chatRequest(stream: false)
            request.headers.append(("X-Trace", "abc"))
            let response = try await h.client.execute(request)
            #expect(response.status == 200)
            #expect(response.header("content-type")?.hasPrefix("application/json") == true)
            #expect(response.header("CONTENT-LENGTH") != nil)
            let body = String(decoding: try await response.body.collect(upTo: 1 << 20), as: UTF8.self)
            #expect(body.contains("\"chat.completion\""))
            #expect(body.contains("Hello there"))

            let recorded = try #require(h.fake.requests.first)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/v1/chat/completions")
            #expect(recorded.body == request.body)
            #expect(recorded.header("x-trace") == "abc")
            #expect(recorded.header("content-type") == "application/json")
            #expect(recorded.header("expect") == nil)
            #expect(h.client.stats.transfersCompleted == 1)
        }
    }

    @Test("an error status is a response, not a thrown error")
    func errorStatusIsAResponse() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.rateLimited(retryAfterSeconds: 7)])
            let response = try await h.client.execute(h.chatRequest())
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "7")
            let body = String(decoding: try await response.body.collect(upTo: 1 << 20), as: UTF8.self)
            #expect(body.contains("rate_limit"))
        }
    }

    @Test("a stream is delivered chunk by chunk as the upstream sends it")
    func streamArrivesIncrementally() async throws {
        try await FakeUpstreamHarness.with { h in
            let pieces = ["one", " two", " three", " four", " five", " six"]
            h.fake.setReply(FakeReply(pieces: pieces, inputTokens: 1))
            h.fake.setTokenDelay(milliseconds: 40)
            let start = ContinuousClock.now
            let response = try await h.client.execute(h.chatRequest())
            #expect(response.status == 200)
            #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
            let recording = await BodyRecording.read(response.body)
            let end = ContinuousClock.now
            #expect(recording.error == nil)
            #expect(recording.chunks.count >= pieces.count)
            for piece in pieces { #expect(recording.text.contains("\"\(piece)\"")) }
            #expect(recording.text.contains("data: [DONE]"))
            // Five 40 ms gaps: the first chunk is in hand long before the last one is sent.
            let first = try #require(recording.arrivals.first)
            #expect(end - start >= .milliseconds(190))
            #expect(end - first >= .milliseconds(150))
        }
    }

    @Test("sequential requests reuse one kept-alive connection")
    func keepAlive() async throws {
        try await FakeUpstreamHarness.with { h in
            for stream in [true, false, true, false, true] {
                let response = try await h.client.execute(h.chatRequest(stream: stream))
                #expect(response.status == 200)
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            #expect(h.fake.connectionsAccepted == 1)
            let stats = h.client.stats
            #expect(stats.connectionsOpened == 1)
            #expect(stats.transfersStarted == 5)
            #expect(stats.transfersCompleted == 5)
        }
    }

    @Test("fifty concurrent requests all complete")
    func concurrentRequests() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setTokenDelay(milliseconds: 5)
            let request = h.chatRequest()
            let client = h.client
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await client.execute(request)
                        #expect(response.status == 200)
                        return String(decoding: try await response.body.collect(upTo: 1 << 20), as: UTF8.self)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(bodies.count == 50)
            #expect(bodies.allSatisfy { $0.contains("data: [DONE]") })
            #expect(h.fake.attempts() == 50)
            let stats = h.client.stats
            #expect(stats.transfersCompleted == 50)
            #expect(stats.connectionsOpened == h.fake.connectionsAccepted)
        }
    }

    @Test("a consumer that falls behind pauses the transfer without tripping the idle timeout")
    func backpressure() async throws {
        let configuration = CurlHTTPClient.Configuration(bodyBufferLimit: 32 * 1024)
        try await FakeUpstreamHarness.with(configuration: configuration) { h in
            let piece = String(repeating: "x", count: 8_000)
            h.fake.setReply(FakeReply(pieces: Array(repeating: piece, count: 100), inputTokens: 1))
            let timeouts = HTTPTimeouts(idle: .milliseconds(150))
            let response = try await h.client.execute(h.chatRequest(timeouts: timeouts))
            try await Task.sleep(for: .milliseconds(400))
            let body = try await response.body.collect(upTo: 4 << 20)
            #expect(body.count > 800_000)
            #expect(String(decoding: body.suffix(64), as: UTF8.self).contains("[DONE]"))
            #expect(h.client.stats.bodyPauses >= 1)
        }
    }

    @Test("requests that cannot be sent fail as invalidRequest before touching the network")
    func invalidRequests() async throws {
        let client = try CurlHTTPClient()
        defer { client.shutdown() }
        let bad = [
            HTTPRequest(url: "ftp://127.0.0.1/x"),
            HTTPRequest(url: "http://127.0.0.1/a b"),
            HTTPRequest(method: "GET ME", url: "http://127.0.0.1/"),
            HTTPRequest(url: "http://127.0.0.1/", headers: [("X-Evil", "a\r\nInjected: yes")]),
            HTTPRequest(url: "http://127.0.0.1/", headers: [("Bad Name", "v")]),
        ]
        for request in bad {
            let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
            #expect(error?.kind == .invalidRequest)
        }
        #expect(client.stats.transfersStarted == 0)
    }
}
