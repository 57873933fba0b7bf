import FakeUpstream
import GatewayProviders

/// A fake upstream and a client pointed at it, started for one test and torn down after it, so tests run in parallel
/// without sharing counters.
struct FakeUpstreamHarness {
    let fake: FakeUpstream
    let client: CurlHTTPClient

    static func with<T>(
        configuration: CurlHTTPClient.Configuration = .init(),
        _ body: (FakeUpstreamHarness) async throws -> T
    ) async throws -> T {
        let fake = try await FakeUpstream.start()
        let client = try CurlHTTPClient(configuration: configuration)
        defer { client.shutdown() }
        do {
            let result = try await body(FakeUpstreamHarness(fake: fake, client: client))
            client.shutdown()
            try await fake.shutdown()
            return result
        } catch {
            client.shutdown()
            try? await fake.shutdown()
            throw error
        }
    }

    /// An OpenAI chat completion request for the fake.
    func chatRequest(stream: Bool = true, timeouts: HTTPTimeouts = HTTPTimeouts()) -> HTTPRequest {
        let json = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
        return HTTPRequest(
            url: fake.baseURL + "/v1/chat/completions",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer test-key")],
            body: Array(json.utf8),
            timeouts: timeouts
        )
    }

    /// Waits until the fake has no open connection, or fails after `limit`: the proof that an aborted transfer closed
    /// its connection rather than returning it to the pool.
    func waitForConnectionsToClose(within limit: Duration = .seconds(2)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while fake.openConnections > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

/// Reads a body to its end or first error, keeping the chunks and when each arrived.
struct BodyRecording {
    var chunks: [[UInt8]] = []
    var arrivals: [ContinuousClock.Instant] = []
    var error: HTTPClientError?

    var text: String { String(decoding: chunks.joined(), as: UTF8.self) }

    static func read(_ body: HTTPResponseBody) async -> BodyRecording {
        var recording = BodyRecording()
        do {
            for try await chunk in body {
                recording.chunks.append(chunk)
                recording.arrivals.append(.now)
            }
        } catch {
            recording.error = error
        }
        return recording
    }
}
