import GatewayCore
@testable import GatewayServer
import GatewayWire
import Synchronization
import Testing

/// Cache hits behind a limiter that answers asynchronously, as on Redis, where `CompletionHandlers` runs the rate-limit
/// check and the cache lookup at once: a denial wins over the lookup, is not recorded as usage, and a flight the
/// denied request's lookup leads is abandoned, so an identical request waiting on it goes upstream instead of hanging.
@Suite struct CacheAdmissionTests {
    /// The memory limit store behind a gate: checks that involve `held` wait until `open()`, as a slow Redis would;
    /// every other check answers at once. It is not a `SynchronousRateLimitStore`, so the handlers cannot check in
    /// place.
    final class GatedLimitStore: RateLimitStore {
        let inner: MemoryRateLimitStore
        let held: String
        private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        init(inner: MemoryRateLimitStore, held: String) {
            self.inner = inner
            self.held = held
        }

        var waiting: Int { gate.withLock { $0.waiting.count } }

        func open() {
            let waiting = gate.withLock { g in
                g.open = true
                defer { g.waiting = [] }
                return g.waiting
            }
            for waiter in waiting { waiter.resume() }
        }

        func check(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) async throws -> [LimitStatus] {
            if limits.contains(where: { $0.key.subject == held }) {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = gate.withLock { g in
                        if g.open { return true }
                        g.waiting.append(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            return inner.checkNow(limits, cost: cost, peek: peek)
        }

        func reset(endpoint: Endpoint, userID: String, orgID: String) async throws -> Int {
            try await inner.reset(endpoint: endpoint, userID: userID, orgID: orgID)
        }
    }

    /// Answers every call with one fixed completion and counts the calls.
    final class CountingProvider: CompletionProvider {
        let kind = ProviderKind.openai
        let calls = Mutex(0)

        func complete(_ request: CompletionRequest, model: String) async throws(ProviderError) -> Completion {
            calls.withLock { $0 += 1 }
            return Completion(id: "c1", provider: .openai, model: model, content: "answer", finishReason: .stop,
                              usage: TokenUsage(input: 10, output: 2))
        }

        func stream(_ request: CompletionRequest, model: String) async throws(ProviderError) -> CompletionEventStream {
            throw ProviderError(.invalidRequest, "not streamed here", provider: .openai, model: model)
        }
    }

    static func request(user: String, id: String) -> Aigw_V1_CompleteRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = user
        caller.orgId = "acme"
        caller.endpoint = .chat
        var message = Aigw_V1_ChatMessage()
        message.role = .user
        message.content = "the same question"
        var request = Aigw_V1_CompleteRequest()
        request.caller = caller
        request.model = "gpt-4o-mini"
        request.messages = [message]
        request.requestId = id
        return request
    }

    @Test func aDeniedLookupIsDroppedItsFlightAbandonedAndItsHitNotRecorded() async throws {
        let clock = ManualClock(unixMillis: 1_767_225_600_000)
        let policy = RateLimitPolicy(endpoints: [
            .chat: .init(user: RateLimitRule(.slidingWindow, limit: 2, windowMillis: 60_000)),
        ])
        let memory = MemoryRateLimitStore(clock: clock)
        // "blocked" has used its two requests.
        _ = memory.checkNow(policy.applicable(endpoint: .chat, userID: "blocked", orgID: "acme"), cost: 2, peek: false)
        let limits = GatedLimitStore(inner: memory, held: "blocked")
        let provider = CountingProvider()
        let service = CompletionService(
            providers: [provider], limiter: RateLimiter(policy: policy, store: limits), clock: clock)
        let usage = MemoryUsageStore(clock: clock)
        let cache = ResponseCache(
            store: MemoryResponseCacheStore(maxBytes: 1 << 20, clock: clock), settings: CacheSettings(), clock: clock)
        let handlers = CompletionHandlers(
            service: service, tracker: UsageTracker(store: usage, prices: PriceBook(), clock: clock), budgets: nil,
            cache: cache)
        let context = makeContext(Aigw_V1_Gateway.complete.descriptor)

        let blocked = Task { try await handlers.complete(Self.request(user: "blocked", id: "b1"), context) }
        let deadline = ContinuousClock.now + .seconds(5)
        while limits.waiting == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(limits.waiting == 1, "the blocked request's check is held")
        // Its lookup runs beside the held check: a miss, so it leads the flight for the key.
        try await Task.sleep(for: .milliseconds(50))
        let free = Task { try await handlers.complete(Self.request(user: "free", id: "f1"), context) }
        while cache.waiting == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(cache.waiting == 1, "the free request waits for the blocked request's flight")

        limits.open()
        do {
            _ = try await blocked.value
            Issue.record("expected RESOURCE_EXHAUSTED")
        } catch let error as GatewayError {
            #expect(error.code == .resourceExhausted && error.reason == "rate_limited")
        }
        // Not stuck: the abandoned flight sends its waiter upstream on its own.
        let answer = try await withThrowingTaskGroup(of: Aigw_V1_CompleteResponse?.self) { group in
            group.addTask { try await free.value }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        #expect(answer?.content == "answer" && answer?.cacheHit == false)
        #expect(provider.calls.withLock { $0 } == 1)
        #expect(cache.waiting == 0)

        let day = UTCDate(unixMillis: clock.unixMillis())
        #expect(try await usage.days(.user("blocked"), from: day, to: day).isEmpty, "a denied request is not usage")
        #expect(try await usage.days(.user("free"), from: day, to: day)[day]?.totals.requests == 1)

        // A later identical request of an admitted user is a hit, recorded at once on the memory store.
        let hit = try await handlers.complete(Self.request(user: "free", id: "f2"), context)
        #expect(hit.cacheHit && hit.costNanoUsd == 0)
        let totals = try await usage.days(.user("free"), from: day, to: day)[day]?.totals
        #expect(totals?.requests == 2 && totals?.cacheHits == 1)
    }
}
