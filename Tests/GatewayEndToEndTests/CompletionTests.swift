import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// Complete and Stream through a real aigw, over the real libcurl path, against the fake upstream: every scripted
/// behaviour, with the outcome and the exact number of upstream attempts.
///
/// Serialized: each test runs its own aigw and fake, and exact attempt counts need the machine not to be so loaded
/// that an upstream timeout fires where none was scripted.
@Suite(.serialized) struct CompletionTests {
    /// A fake upstream plus an aigw pointed at it, with short timeouts and backoffs so failures resolve quickly.
    struct Harness {
        let fake: FakeUpstream
        let server: ServerProcess
        let client: GatewayClient

        static func start(_ extra: [String: String] = [:], arguments: [String] = []) async throws -> Harness {
            let fake = try await FakeUpstream.start(
                configuration: .init(openAIKey: "sk-test", anthropicKey: "sk-ant-test"))
            var env = [
                "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.baseURL + "/v1",
                "OPENAI_ORGANIZATION": "org-e2e",
                "ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": fake.baseURL + "/v1",
                "AIGW_RETRY_BASE_DELAY_MS": "5", "AIGW_RETRY_MAX_DELAY_MS": "20",
                "AIGW_UPSTREAM_FIRST_BYTE_TIMEOUT_MS": "10000", "AIGW_UPSTREAM_IDLE_TIMEOUT_MS": "10000",
                // Generous limits and no response cache: these tests are about the upstream path (CacheTests
                // switch the cache back on).
                "AIGW_LIMIT_CHAT_USER": "10000/1m", "AIGW_LIMIT_CHAT_ORG": "10000/1m", "AIGW_CACHE_ENABLED": "false",
            ]
            env.merge(extra) { _, new in new }
            let server = try ServerProcess(environment: env, arguments: arguments)
            return Harness(fake: fake, server: server, client: try await server.client())
        }

        func stop() async {
            await client.close()
            server.terminate()
            try? await fake.shutdown()
        }
    }

    static func request(_ model: String, _ text: String = "hello world", system: String = "") -> Aigw_V1_CompleteRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = "u1"
        caller.orgId = "o1"
        caller.endpoint = .chat
        var message = Aigw_V1_ChatMessage()
        message.role = .user
        message.content = text
        var request = Aigw_V1_CompleteRequest()
        request.caller = caller
        request.model = model
        request.messages = [message]
        request.systemPrompt = system
        return request
    }

    /// Collects a stream: its events and, when it failed, the error.
    static func collect(_ h: Harness, _ request: Aigw_V1_CompleteRequest, options: CallOptions = CallOptions())
        async -> (events: [Aigw_V1_StreamEvent], error: RPCError?)
    {
        var events: [Aigw_V1_StreamEvent] = []
        do {
            for try await e in h.client.stream(Aigw_V1_Gateway.stream, request, options: options) { events.append(e) }
            return (events, nil)
        } catch let error as RPCError {
            return (events, error)
        } catch {
            return (events, RPCError(.unknown, "\(error)"))
        }
    }

    static func text(_ events: [Aigw_V1_StreamEvent]) -> String {
        events.compactMap { if case .delta(let d) = $0.event { d.text } else { nil } }.joined()
    }

    static func end(_ events: [Aigw_V1_StreamEvent]) -> Aigw_V1_StreamEnd? {
        events.compactMap { if case .end(let e) = $0.event { e } else { nil } }.last
    }

    func expectFailure(
        _ h: Harness, _ request: Aigw_V1_CompleteRequest, code: Aigw_V1_StatusCode, category: Aigw_V1_ErrorCategory,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            let r = try await h.client.call(Aigw_V1_Gateway.complete, request)
            Issue.record("expected \(code.name), got an answer from \(r.model)", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.detail?.category == category, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Success paths

    @Test func completesThroughOpenAIWithExactUsageAndHeaders() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setReply(FakeReply(text: "Hi there", inputTokens: 30, cachedInputTokens: 12), model: "gpt-4o")
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o", system: "be brief"))
        #expect(r.content == "Hi there")
        #expect(r.provider == .openai)
        #expect(r.model == "gpt-4o")
        #expect(r.finishReason == .stop)
        #expect(r.usage?.inputTokens == 30 && r.usage?.cachedInputTokens == 12)
        #expect(r.usage?.outputTokens == UInt64(FakeReply(text: "Hi there", inputTokens: 0).pieces.count))
        #expect(r.attempts.count == 1 && !r.fallbackUsed)
        #expect(h.fake.attempts() == 1)
        let sent = try #require(h.fake.requests.first)
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.header("Authorization") == "Bearer sk-test")
        #expect(sent.header("OpenAI-Organization") == "org-e2e")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        let messages = try #require(json["messages"] as? [[String: Any]])
        #expect(messages.first?["role"] as? String == "system")
        #expect(json["stream"] as? Bool != true)
    }

    @Test func completesThroughAnthropicWithCacheTokensKeptApart() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setReply(
            FakeReply(text: "Bonjour", inputTokens: 9, cachedInputTokens: 100, cacheWriteTokens: 40),
            model: "claude-3-5-haiku-20241022")
        let r = try await h.client.call(
            Aigw_V1_Gateway.complete, Self.request("claude-3-5-haiku", system: "translate"))
        #expect(r.content == "Bonjour")
        #expect(r.provider == .anthropic)
        #expect(r.usage?.inputTokens == 9)
        #expect(r.usage?.cachedInputTokens == 100)
        #expect(r.usage?.cacheWriteTokens == 40)
        let sent = try #require(h.fake.requests.first)
        #expect(sent.path == "/v1/messages")
        #expect(sent.header("x-api-key") == "sk-ant-test")
        #expect(sent.header("anthropic-version") == "2023-06-01")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        #expect(json["system"] as? String == "translate")
        #expect(json["model"] as? String == "claude-3-5-haiku-20241022")
    }

    @Test(arguments: ["gpt-4o-mini", "claude-3-5-sonnet"])
    func streamsDeltasThenUsage(model: String) async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let (events, error) = await Self.collect(h, Self.request(model, "one two three"))
        #expect(error == nil)
        guard case .start(let start) = events.first?.event else {
            Issue.record("the first item must be StreamStart: \(events)")
            return
        }
        #expect(start.model.hasPrefix(String(model.prefix(8))))
        #expect(Self.text(events) == "You said: one two three")
        #expect(events.count >= 4, "several deltas, not one blob")
        let end = try #require(Self.end(events))
        #expect(end.finishReason == .stop)
        #expect(end.usage?.outputTokens == 5)
        #expect(end.usage?.inputTokens == 3)
        #expect(end.attempts.count == 1)
        let sent = try #require(h.fake.requests.first)
        #expect(sent.stream)
        if model.hasPrefix("gpt") {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
            #expect((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        }
    }

    @Test func messySSEFramingStillParses() async throws {
        let fake = try await FakeUpstream.start(configuration: .init(openAIKey: "k", anthropicKey: "k", sseStyle: .messy))
        let server = try ServerProcess(environment: [
            "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": fake.baseURL + "/v1",
            "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.baseURL + "/v1",
        ])
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate(); try? await fake.shutdown() } }
        for model in ["gpt-4o", "claude-3-5-haiku"] {
            var events: [Aigw_V1_StreamEvent] = []
            for try await e in client.stream(Aigw_V1_Gateway.stream, Self.request(model, "messy input here")) {
                events.append(e)
            }
            #expect(Self.text(events) == "You said: messy input here", "\(model)")
            #expect(Self.end(events)?.usage?.outputTokens == 5, "\(model)")
        }
    }

    // MARK: Retries

    @Test func rateLimitWithRetryAfterIsRetriedThenAnswers() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.rateLimited(retryAfterMilliseconds: 150), .rateLimited()], model: "gpt-4o")
        let started = ContinuousClock.now
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        #expect(ContinuousClock.now - started >= .milliseconds(150), "retry-after-ms was honoured")
        #expect(r.model == "gpt-4o")
        #expect(r.attempts.map(\.errorCategory) == [.rateLimited, .rateLimited, .unspecified])
        #expect(h.fake.attempts(model: "gpt-4o") == 3)
    }

    @Test func serverErrorOnceThenOK() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.serverError()], model: "gpt-4o")
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        #expect(r.attempts.count == 2 && r.attempts[0].errorCategory == .serverError)
        #expect(h.fake.attempts() == 2)
    }

    @Test func unavailableEveryTimeFallsBackToTheCheaperModel() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setDefault(.serviceUnavailable, model: "gpt-4o")
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        #expect(r.model == "gpt-4o-mini")
        #expect(r.fallbackUsed)
        #expect(h.fake.attempts(model: "gpt-4o") == 3, "the first try and two retries")
        #expect(h.fake.attempts(model: "gpt-4o-mini") == 1)
        #expect(r.attempts.count == 4)
    }

    @Test func unavailableEverywhereFailsAfterEveryAttempt() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setDefault(.serviceUnavailable)
        await expectFailure(h, Self.request("gpt-4o"), code: .unavailable, category: .overloaded)
        #expect(h.fake.attempts() == 6, "3 on gpt-4o, 3 on gpt-4o-mini")
    }

    @Test func overloadedSonnetFallsBackToHaiku() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setDefault(.overloaded, model: "claude-3-5-sonnet-20241022")
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("claude-3-5-sonnet"))
        #expect(r.model == "claude-3-5-haiku-20241022")
        #expect(r.attempts.prefix(3).allSatisfy { $0.errorCategory == .overloaded })
        #expect(h.fake.attempts() == 4)
    }

    @Test func shouldRetryFalseIsHonoured() async throws {
        let h = try await Harness.start(["AIGW_RETRY_MAX_RETRIES": "2"])
        defer { Task { await h.stop() } }
        h.fake.setDefault(.serverError(shouldRetry: false))
        await expectFailure(h, Self.request("gpt-4o-mini"), code: .unavailable, category: .serverError)
        #expect(h.fake.attempts() == 1)
    }

    // MARK: Errors that are not retried

    @Test func unauthorizedIsNotRetried() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setDefault(.unauthorized)
        await expectFailure(h, Self.request("gpt-4o"), code: .failedPrecondition, category: .authentication)
        #expect(h.fake.attempts() == 1)
    }

    @Test func contextLengthIsAnInvalidRequest() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.contextLengthExceeded])
        await expectFailure(h, Self.request("claude-3-5-sonnet"), code: .invalidArgument, category: .invalidRequest)
        #expect(h.fake.attempts() == 1)
    }

    @Test func exhaustedQuotaIsNeverRetriedButMayCrossProviders() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setDefault(.quotaExceeded, model: "gpt-4o")
        await expectFailure(h, Self.request("gpt-4o"), code: .resourceExhausted, category: .quotaExhausted)
        #expect(h.fake.attempts() == 1)
        var cross = Self.request("gpt-4o")
        cross.allowCrossProviderFallback = true
        let r = try await h.client.call(Aigw_V1_Gateway.complete, cross)
        #expect(r.provider == .anthropic)
        #expect(r.model == "claude-3-5-sonnet-20241022")
        #expect(h.fake.attempts(model: "gpt-4o") == 2)
        #expect(h.fake.attempts() == 3)
    }

    // MARK: Transport failures

    @Test func connectionResetIsRetried() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.resetConnection])
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        #expect(r.attempts.map(\.errorCategory) == [.network, .unspecified])
        #expect(h.fake.attempts() == 2)
    }

    @Test func noResponseTimesOutAtTheFirstByteAndIsRetried() async throws {
        let h = try await Harness.start(["AIGW_UPSTREAM_FIRST_BYTE_TIMEOUT_MS": "700"])
        defer { Task { await h.stop() } }
        h.fake.enqueue([.noResponse])
        let r = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        #expect(r.attempts.map(\.errorCategory) == [.timeout, .unspecified])
        #expect(r.attempts[0].latencyMs >= 600)
        #expect(h.fake.attempts() == 2)
    }

    @Test func slowFirstTokenWithinTheTimeoutSucceeds() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.slowFirstToken(milliseconds: 250)])
        let (events, error) = await Self.collect(h, Self.request("gpt-4o"))
        #expect(error == nil)
        #expect(Self.text(events) == "You said: hello world")
        #expect(h.fake.attempts() == 1)
    }

    // MARK: Broken streams

    @Test func streamCutBeforeTheFirstTokenIsRetried() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.cutStream(afterPieces: 0)])
        let (events, error) = await Self.collect(h, Self.request("gpt-4o"))
        #expect(error == nil)
        #expect(Self.text(events) == "You said: hello world")
        #expect(Self.end(events)?.attempts.count == 2)
        #expect(h.fake.attempts() == 2)
    }

    @Test func streamCutMidwayEndsWithTheErrorAndTheUsageSeen() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.cutStream(afterPieces: 2)], model: "claude-3-5-haiku-20241022")
        let (events, error) = await Self.collect(h, Self.request("claude-3-5-haiku", "alpha beta gamma"))
        #expect(error?.code == .unavailable)
        #expect(error?.detail?.category == .network)
        #expect(Self.text(events) == "You said:")
        let end = try #require(Self.end(events), "a StreamEnd with the usage seen precedes the error")
        #expect(end.finishReason == .unspecified)
        #expect(end.usage?.inputTokens == 3, "input tokens from message_start")
        #expect(end.usage?.outputTokens == 2, "one per delta delivered")
        #expect(h.fake.attempts() == 1, "no retry once tokens reached the caller")
    }

    @Test func streamThatStallsHitsTheIdleTimeout() async throws {
        let h = try await Harness.start(["AIGW_UPSTREAM_IDLE_TIMEOUT_MS": "400"])
        defer { Task { await h.stop() } }
        h.fake.enqueue([.stallStream(afterPieces: 1)])
        let started = ContinuousClock.now
        let (events, error) = await Self.collect(h, Self.request("gpt-4o"))
        #expect(error?.detail?.category == .timeout)
        #expect(Self.text(events) == "You")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(h.fake.attempts() == 1)
    }

    @Test func malformedChunkIsAnError() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.malformedChunk(afterPieces: 1)])
        let (events, error) = await Self.collect(h, Self.request("gpt-4o"))
        #expect(error?.code == .unavailable)
        #expect(error?.detail?.category == .serverError)
        #expect(Self.text(events) == "You")
        #expect(h.fake.attempts() == 1)
    }

    @Test(arguments: ["gpt-4o", "claude-3-5-haiku"])
    func missingTerminalEventIsAnError(model: String) async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.missingDone])
        let (events, error) = await Self.collect(h, Self.request(model))
        #expect(error?.code == .unavailable)
        #expect(error?.detail?.category == .network)
        #expect(Self.text(events) == "You said: hello world", "every token arrived, but no terminal event")
        #expect(h.fake.attempts() == 1)
    }

    @Test(arguments: [("gpt-4o", Aigw_V1_ErrorCategory.serverError), ("claude-3-5-haiku", .overloaded)])
    func midStreamErrorEventEndsTheStream(model: String, category: Aigw_V1_ErrorCategory) async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.enqueue([.midStreamError(afterPieces: 2)])
        let (events, error) = await Self.collect(h, Self.request(model))
        #expect(error?.detail?.category == category)
        #expect(Self.text(events) == "You said:")
        #expect(h.fake.attempts() == 1)
    }

    // MARK: Cancellation, deadlines, limits

    @Test func clientCancelAbortsTheUpstreamTransfer() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        h.fake.setTokenDelay(milliseconds: 300)
        let stream = h.client.stream(Aigw_V1_Gateway.stream, Self.request("gpt-4o", "a b c d e f g h"))
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()  // StreamStart
        _ = try await iterator.next()  // first delta
        #expect(h.fake.openConnections == 1)
        let task = Task { while try await iterator.next() != nil {} }
        task.cancel()
        let deadline = ContinuousClock.now + .seconds(2)
        while h.fake.openConnections > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.fake.openConnections == 0, "the upstream connection was closed")
        #expect(h.fake.attempts() == 1)
    }

    @Test func deadlineAbortsTheUpstreamTransfer() async throws {
        let h = try await Harness.start(["AIGW_UPSTREAM_FIRST_BYTE_TIMEOUT_MS": "30000"])
        defer { Task { await h.stop() } }
        h.fake.setDefault(.noResponse)
        let started = ContinuousClock.now
        do {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"), options: CallOptions(timeout: .milliseconds(300)))
            Issue.record("expected DEADLINE_EXCEEDED")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded)
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        let deadline = ContinuousClock.now + .seconds(2)
        while h.fake.openConnections > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.fake.openConnections == 0)
        #expect(h.fake.attempts() == 1)
    }

    @Test func theRateLimitIsCheckedBeforeTheUpstream() async throws {
        let h = try await Harness.start(["AIGW_LIMIT_CHAT_USER": "2/1m sliding_window"])
        defer { Task { await h.stop() } }
        _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
        do {
            _ = try await h.client.call(Aigw_V1_Gateway.complete, Self.request("gpt-4o"))
            Issue.record("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted)
            #expect(error.detail?.reason == "rate_limited")
            #expect((error.detail?.retryAfterMs ?? 0) > 0)
        }
        #expect(h.fake.attempts() == 2)
    }

    @Test func badRequestsGetInvalidArgument() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        var noCaller = Self.request("gpt-4o")
        noCaller.caller = nil
        var noMessages = Self.request("gpt-4o")
        noMessages.messages = []
        var badTemperature = Self.request("gpt-4o")
        badTemperature.temperature = 7
        for bad in [noCaller, noMessages, badTemperature] {
            await #expect(throws: RPCError.self) { try await h.client.call(Aigw_V1_Gateway.complete, bad) }
            do { _ = try await h.client.call(Aigw_V1_Gateway.complete, bad) } catch let e as RPCError {
                #expect(e.code == .invalidArgument, "\(e)")
            }
        }
        #expect(h.fake.attempts() == 0)
    }

    @Test func aigwctlCompletesAndStreams() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        for command in ["complete", "stream"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ctl)
            p.arguments = [command, "--socket", h.server.socketPath, "--model", "gpt-4o-mini", "ping from the cli"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = Pipe()
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 0)
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "You said: ping from the cli", "\(command)")
        }
    }
}
