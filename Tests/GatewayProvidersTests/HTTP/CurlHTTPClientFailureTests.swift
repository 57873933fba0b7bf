import FakeUpstream
import GatewayProviders
import Testing

@Suite("CurlHTTPClient: timeouts and network failures", .timeLimit(.minutes(1)))
struct CurlHTTPClientFailureTests {
    @Test("an upstream that never answers trips the first-byte timeout")
    func firstByteTimeout() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.noResponse])
            let start = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await h.client.execute(h.chatRequest(timeouts: HTTPTimeouts(firstByte: .milliseconds(200))))
            }
            let elapsed = ContinuousClock.now - start
            #expect(error?.kind == .timeout(.firstByte))
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(2))
            #expect(await h.waitForConnectionsToClose())
        }
    }

    @Test("a head that comes too late trips the first-byte timeout")
    func slowHead() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.slowFirstToken(milliseconds: 1_000)])
            let error = await #expect(throws: HTTPClientError.self) {
                try await h.client.execute(h.chatRequest(timeouts: HTTPTimeouts(firstByte: .milliseconds(150))))
            }
            #expect(error?.kind == .timeout(.firstByte))
        }
    }

    @Test("a stream that stalls trips the idle timeout after the chunks that did arrive")
    func idleTimeout() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setReply(FakeReply(pieces: ["alpha", " beta", " gamma", " delta"], inputTokens: 1))
            h.fake.enqueue([.stallStream(afterPieces: 2)])
            let timeouts = HTTPTimeouts(firstByte: .seconds(5), idle: .milliseconds(200))
            let response = try await h.client.execute(h.chatRequest(timeouts: timeouts))
            #expect(response.status == 200)
            let recording = await BodyRecording.read(response.body)
            #expect(recording.error?.kind == .timeout(.idle))
            #expect(recording.text.contains("\"alpha\"") && recording.text.contains("\" beta\""))
            #expect(!recording.text.contains("gamma"))
            let lastChunk = try #require(recording.arrivals.last)
            // The consumer stamps a chunk a little after the curl thread saw it, hence the margin.
            #expect(ContinuousClock.now - lastChunk >= .milliseconds(150))
        }
    }

    @Test("a stream that keeps going past the total timeout is cut off")
    func totalTimeout() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setReply(FakeReply(pieces: Array(repeating: " word", count: 60), inputTokens: 1))
            h.fake.setTokenDelay(milliseconds: 25)
            let timeouts = HTTPTimeouts(idle: .seconds(5), total: .milliseconds(500))
            let start = ContinuousClock.now
            let error: HTTPClientError?
            do {
                let response = try await h.client.execute(h.chatRequest(timeouts: timeouts))
                error = await BodyRecording.read(response.body).error
            } catch let thrown as HTTPClientError {
                // Only when a loaded machine holds the head back past the total limit.
                error = thrown
            }
            let elapsed = ContinuousClock.now - start
            #expect(error?.kind == .timeout(.total))
            #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(2))
            #expect(await h.waitForConnectionsToClose())
        }
    }

    @Test("a closed local port fails fast as a connect error")
    func connectionRefused() async throws {
        let listener = try SilentListener(listening: false)
        defer { listener.close() }
        let client = try CurlHTTPClient()
        defer { client.shutdown() }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(listener.port)/v1/chat/completions"))
        }
        #expect(error?.kind == .connect)
        #expect(error?.curlCode == 7)
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(client.stats.transfersFailed == 1)
    }

    @Test("a handshake that never completes trips the connect timeout")
    func connectTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let client = try CurlHTTPClient()
        defer { client.shutdown() }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(
                HTTPRequest(
                    url: "https://127.0.0.1:\(listener.port)/",
                    timeouts: HTTPTimeouts(connect: .milliseconds(200))
                )
            )
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.kind == .timeout(.connect))
        #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(2))
    }

    @Test("TLS to a server that does not speak it fails as a TLS error")
    func tlsFailure() async throws {
        try await FakeUpstreamHarness.with { h in
            let url = h.fake.baseURL.replacingPrefix("http://", with: "https://") + "/v1/chat/completions"
            let error = await #expect(throws: HTTPClientError.self) {
                try await h.client.execute(HTTPRequest(url: url, body: Array("{}".utf8)))
            }
            #expect(error?.kind == .tls)
        }
    }

    @Test("a connection reset instead of a response is a network error")
    func resetConnection() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.resetConnection])
            let error = await #expect(throws: HTTPClientError.self) { try await h.client.execute(h.chatRequest()) }
            #expect(error?.kind == .network)
            #expect(error?.curlCode != nil)
            // The client recovers on a new connection.
            let response = try await h.client.execute(h.chatRequest())
            #expect(response.status == 200)
        }
    }

    @Test("a cut stream delivers what arrived, then fails as a network error")
    func cutStream() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setReply(FakeReply(pieces: ["alpha", " beta", " gamma", " delta"], inputTokens: 1))
            h.fake.enqueue([.cutStream(afterPieces: 2)])
            let response = try await h.client.execute(h.chatRequest())
            let recording = await BodyRecording.read(response.body)
            #expect(recording.error?.kind == .network)
            #expect(recording.text.contains("\"alpha\"") && recording.text.contains("\" beta\""))
            #expect(!recording.text.contains("gamma"))
            #expect(h.client.stats.transfersFailed == 1)
        }
    }

    @Test("a non-stream body cut short is a network error")
    func cutBody() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.cutStream(afterPieces: 0)])
            let response = try await h.client.execute(h.chatRequest(stream: false))
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1 << 20) }
            #expect(error?.kind == .network)
            #expect(error?.curlCode == 18)
        }
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
