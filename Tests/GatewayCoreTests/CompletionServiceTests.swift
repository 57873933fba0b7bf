import GatewayCore
import Synchronization
import Testing

/// A provider whose answers are scripted per model: the Core policy is tested here without HTTP. The real provider
/// path (libcurl against the fake upstream) is tested in GatewayProvidersTests and end to end.
private final class ScriptedProvider: CompletionProvider {
    enum Step: Sendable {
        case answer(String)
        case fail(ProviderErrorCategory, retryAfter: Int64? = nil)
        /// Stream: these deltas, then this error (nil: finish normally; "cut": end without the terminal event).
        case stream([String], then: ProviderErrorCategory?, cut: Bool = false)
    }

    let kind: ProviderKind
    private let script: Mutex<[String: [Step]]>
    let calls = Mutex<[String]>([])

    init(_ kind: ProviderKind, _ script: [String: [Step]]) {
        self.kind = kind
        self.script = Mutex(script)
    }

    private func nextStep(_ model: String) -> Step {
        calls.withLock { $0.append(model) }
        return script.withLock { s in
            guard var steps = s[model], !steps.isEmpty else { return .answer("default") }
            let step = steps.removeFirst()
            s[model] = steps
            return step
        }
    }

    private func error(_ category: ProviderErrorCategory, _ model: String, retryAfter: Int64? = nil, usage: TokenUsage = .zero) -> ProviderError {
        ProviderError(category, "scripted \(category)", provider: kind, model: model, retryAfterMillis: retryAfter, usage: usage)
    }

    func complete(_ request: CompletionRequest, model: String) async throws(ProviderError) -> Completion {
        switch nextStep(model) {
        case .answer(let text):
            return Completion(id: "id-\(model)", provider: kind, model: model, content: text, finishReason: .stop,
                              usage: TokenUsage(input: 10, output: 2))
        case .fail(let category, let retryAfter):
            throw error(category, model, retryAfter: retryAfter)
        case .stream:
            preconditionFailure("stream step in complete")
        }
    }

    func stream(_ request: CompletionRequest, model: String) async throws(ProviderError) -> CompletionEventStream {
        let step = nextStep(model)
        switch step {
        case .fail(let category, let retryAfter):
            throw error(category, model, retryAfter: retryAfter)
        case .answer(let text):
            return CompletionEventStream(AsyncThrowingStream { c in
                c.yield(.started(id: "s", model: model))
                c.yield(.delta(text))
                c.yield(.finished(.stop, TokenUsage(input: 10, output: 1)))
                c.finish()
            })
        case .stream(let pieces, let failure, let cut):
            let failing = failure.map { error($0, model, usage: TokenUsage(input: 10)) }
            return CompletionEventStream(AsyncThrowingStream { c in
                c.yield(.started(id: "s", model: model))
                for p in pieces { c.yield(.delta(p)) }
                if let failing {
                    c.finish(throwing: failing)
                } else if cut {
                    c.finish()
                } else {
                    c.yield(.finished(.stop, TokenUsage(input: 10, output: UInt64(pieces.count))))
                    c.finish()
                }
            })
        }
    }
}

private final class Recorder: Sendable {
    let sleeps = Mutex<[Int64]>([])
    let outputs = Mutex<[CompletionService.StreamOutput]>([])
}

@Suite("Completion service: limits, retries, fallback, streams")
struct CompletionServiceTests {
    private let recorder = Recorder()
    private let messages = [ChatMessage(role: .user, content: "hi")]

    private func service(_ providers: [ScriptedProvider], limiter: RateLimiter? = nil) -> CompletionService {
        let recorder = self.recorder
        return CompletionService(
            providers: providers, limiter: limiter, clock: ManualClock(),
            sleep: { ms in recorder.sleeps.withLock { $0.append(ms) } }, unitRandom: { 0.5 })
    }

    @Test func answersAndReportsOneAttempt() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.answer("hello")]])
        let outcome = try await service([openai]).complete(.init(userID: "u", model: "gpt-4o", messages: messages))
        #expect(outcome.completion.content == "hello")
        #expect(outcome.attempts.count == 1 && outcome.attempts[0].error == nil)
        #expect(!outcome.fallbackUsed)
    }

    @Test func retriesWithBackoffThenSucceeds() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.fail(.serverError), .fail(.rateLimited, retryAfter: 1_200), .answer("ok")]])
        let outcome = try await service([openai]).complete(.init(model: "gpt-4o", messages: messages))
        #expect(outcome.completion.content == "ok")
        #expect(outcome.attempts.map { $0.error?.category } == [.serverError, .rateLimited, nil])
        #expect(recorder.sleeps.withLock { $0 } == [250, 1_200], "jittered 500 ms ceiling, then the upstream's hint")
    }

    @Test func fallsBackToTheCheaperModelAfterRetriesRunOut() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.fail(.overloaded), .fail(.overloaded), .fail(.overloaded)], "gpt-4o-mini": [.answer("mini")]])
        let outcome = try await service([openai]).complete(.init(model: "gpt-4o", messages: messages))
        #expect(outcome.completion.model == "gpt-4o-mini")
        #expect(outcome.fallbackUsed)
        #expect(outcome.attempts.count == 4)
        #expect(openai.calls.withLock { $0 } == ["gpt-4o", "gpt-4o", "gpt-4o", "gpt-4o-mini"])
    }

    @Test func crossProviderFallbackReachesAnthropic() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.fail(.quotaExhausted)]])
        let anthropic = ScriptedProvider(.anthropic, [:])
        let outcome = try await service([openai, anthropic]).complete(
            .init(model: "gpt-4o", messages: messages, allowCrossProviderFallback: true))
        #expect(outcome.completion.provider == .anthropic)
        #expect(outcome.completion.model == "claude-3-5-sonnet-20241022")
        #expect(openai.calls.withLock { $0 } == ["gpt-4o"], "quota is never retried")
    }

    @Test func finalErrorCarriesCategoryAndEveryAttempt() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.fail(.invalidRequest)]])
        do {
            _ = try await service([openai]).complete(.init(model: "gpt-4o", messages: messages))
            Issue.record("expected a failure")
        } catch {
            #expect(error.error.code == .invalidArgument)
            #expect(error.error.reason == "upstream_invalid_request")
            #expect(error.attempts.count == 1)
        }
    }

    @Test func rateLimitDenialHappensBeforeAnyUpstreamCall() async throws {
        let policy = RateLimitPolicy(endpoints: [.chat: .init(user: RateLimitRule(.slidingWindow, limit: 1, windowMillis: 60_000))])
        let limiter = RateLimiter(policy: policy, store: MemoryRateLimitStore(clock: ManualClock()))
        let openai = ScriptedProvider(.openai, [:])
        let svc = service([openai], limiter: limiter)
        _ = try await svc.complete(.init(userID: "u1", model: "gpt-4o", messages: messages))
        do {
            _ = try await svc.complete(.init(userID: "u1", model: "gpt-4o", messages: messages))
            Issue.record("expected a denial")
        } catch {
            #expect(error.error.code == .resourceExhausted)
            #expect(error.error.reason == "rate_limited")
            #expect((error.error.retryAfterMillis ?? 0) > 0)
        }
        #expect(openai.calls.withLock { $0.count } == 1)
    }

    @Test func rejectsRequestsWithoutModelOrMessages() async {
        let svc = service([ScriptedProvider(.openai, [:])])
        await #expect(throws: CompletionFailure.self) { try await svc.complete(.init(model: "", messages: messages)) }
        await #expect(throws: CompletionFailure.self) { try await svc.complete(.init(model: "gpt-4o", messages: [])) }
    }

    @Test func streamRetriesBeforeTheFirstTokenOnly() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.stream([], then: .serverError), .stream(["a", "b"], then: nil)]])
        let recorder = self.recorder
        let outcome = try await service([openai]).stream(.init(model: "gpt-4o", messages: messages)) { out in
            recorder.outputs.withLock { $0.append(out) }
        }
        #expect(recorder.outputs.withLock { $0 } == [.start(provider: .openai, model: "gpt-4o"), .delta("a"), .delta("b")])
        #expect(outcome.completion.content == "ab")
        #expect(outcome.attempts.count == 2)
    }

    @Test func streamFailureAfterTokensEndsWithUsageSeen() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.stream(["a", "b", "c"], then: .overloaded), .answer("never")]])
        let recorder = self.recorder
        do {
            _ = try await service([openai]).stream(.init(model: "gpt-4o", messages: messages)) { out in
                recorder.outputs.withLock { $0.append(out) }
            }
            Issue.record("expected a failure")
        } catch {
            #expect(error.error.code == .unavailable)
            #expect(error.usage == TokenUsage(input: 10, output: 3), "input reported, output estimated from deltas")
        }
        #expect(openai.calls.withLock { $0.count } == 1, "no retry after tokens reached the caller")
    }

    @Test func streamWithoutTerminalEventIsAnError() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.stream(["x"], then: nil, cut: true)]])
        do {
            _ = try await service([openai]).stream(.init(model: "gpt-4o", messages: messages)) { _ in }
            Issue.record("expected a failure")
        } catch {
            #expect(error.error.code == .unavailable)
            #expect(error.error.reason == "upstream_network")
        }
    }

    @Test func cancelledCallerStopsTheStream() async throws {
        let openai = ScriptedProvider(.openai, ["gpt-4o": [.stream(["a", "b"], then: nil)]])
        struct Gone: Error {}
        do {
            _ = try await service([openai]).stream(.init(model: "gpt-4o", messages: messages)) { _ in throw Gone() }
            Issue.record("expected a failure")
        } catch {
            #expect(error.error.code == .cancelled)
            #expect(error.attempts.count == 1)
        }
    }
}
