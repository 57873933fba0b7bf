import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `QueueStore`: priority order with FIFO inside a priority, aging, retries then the
/// dead-letter queue, idempotency, lease expiry and stale tokens, dead-letter retry and purge, counters and bounds.
/// On Redis two stores with their own clients stand for two aigw instances; time there is Redis's own, so the tests
/// that need time to pass wait for real (briefly), while the memory store's clock is advanced.
@Suite struct QueueStoreBehaviourTests {
    typealias Backend = UsageStoreBehaviourTests.Backend

    final class Harness: @unchecked Sendable {
        let backend: Backend
        let clock = ManualClock()
        let stores: [any QueueStore]
        var store: any QueueStore { stores[0] }
        let clients: [RedisClient]
        private var keep: [AnyObject] = []

        init(_ backend: Backend, agingStepMillis: Int64 = 60_000, maxJobs: Int = 1_000) throws {
            self.backend = backend
            switch backend {
            case .memory:
                stores = [MemoryQueueStore(clock: clock, settings: .init(agingStepMillis: agingStepMillis, maxJobs: maxJobs))]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let settings = RedisQueueStore.Settings(
                    keyPrefix: "aigw-test:queue:\(UUID().uuidString.prefix(8)):", agingStepMillis: agingStepMillis,
                    maxJobs: maxJobs)
                stores = clients.map { RedisQueueStore(client: $0, settings: settings) }
            }
        }

        deinit {
            for client in clients { client.close() }
        }

        /// Lets `millis` pass for the store: the manual clock moves, or (Redis keeps its own time) we wait.
        func elapse(_ millis: Int64) async throws {
            switch backend {
            case .memory: clock.advance(millis: millis)
            case .redis: try await Task.sleep(for: .milliseconds(millis + 5))
            }
        }

        @discardableResult
        func enqueue(
            _ priority: JobPriority = .normal, tag: String = "", maxAttempts: Int = 3, key: String = "",
            on index: Int = 0
        ) async throws -> QueueJob {
            try await stores[index].enqueue(JobSubmission(
                priority: priority, maxAttempts: maxAttempts, timeoutMillis: 30_000, payload: Array(tag.utf8),
                idempotencyKey: key, userID: "alice", orgID: "acme")).job
        }

        func tags(_ claims: [JobClaim]) -> [String] { claims.map { String(decoding: $0.job.payload, as: UTF8.self) } }
    }

    @Test(arguments: Backend.allCases)
    func priorityOrderWithFirstInFirstOutInsideEachPriority(backend: Backend) async throws {
        let h = try Harness(backend)
        let plan: [(JobPriority, String)] = [
            (.normal, "n1"), (.low, "l1"), (.critical, "c1"), (.normal, "n2"), (.background, "b1"), (.high, "h1"),
            (.critical, "c2"), (.low, "l2"), (.high, "h2"), (.normal, "n3"),
        ]
        for (i, (priority, tag)) in plan.enumerated() { try await h.enqueue(priority, tag: tag, on: i % h.stores.count) }
        let first = try await h.store.claim(max: 4, leaseMillis: 60_000)
        let rest = try await h.stores.last!.claim(max: 100, leaseMillis: 60_000)
        #expect(h.tags(first + rest) == ["c1", "c2", "h1", "h2", "n1", "n2", "n3", "l1", "l2", "b1"])
        #expect((first + rest).allSatisfy { $0.job.state == .running && $0.job.attempts == 1 })
        #expect(try await h.store.claim(max: 10, leaseMillis: 60_000).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func agingLetsLongWaitingBackgroundWorkOvertakeFreshCriticalWork(backend: Backend) async throws {
        let h = try Harness(backend, agingStepMillis: 40)
        try await h.enqueue(.background, tag: "old background")
        try await h.enqueue(.normal, tag: "old normal")
        try await h.elapse(4 * 40 + 20)
        try await h.enqueue(.critical, tag: "fresh critical")
        let claims = try await h.store.claim(max: 3, leaseMillis: 60_000)
        // normal: t+80 < background: t+160 < critical: t+180.
        #expect(h.tags(claims) == ["old normal", "old background", "fresh critical"])
    }

    @Test(arguments: Backend.allCases)
    func retryableFailuresRetryAfterTheirDelayThenGoToTheDeadLetterQueue(backend: Backend) async throws {
        let h = try Harness(backend)
        let machine = JobStateMachine(baseDelayMillis: 40, maxDelayMillis: 40)
        let job = try await h.enqueue(tag: "flaky", maxAttempts: 2)
        let failure = JobStateMachine.RunResult.failed(JobFailure(.retryable, "unavailable: upstream 503"))

        let first = try #require(try await h.store.claim(max: 5, leaseMillis: 60_000).first)
        let retry = machine.finish(after: failure, attempts: first.job.attempts, maxAttempts: 2, unitRandom: 0.5)
        #expect(retry == .retry(error: "unavailable: upstream 503", delayMillis: 30))
        #expect(try await h.store.finish(first, retry, processingMillis: 7, resultTTLMillis: 60_000))
        let waiting = try #require(try await h.store.job(id: job.id))
        #expect(waiting.state == .retrying && waiting.attempts == 1 && waiting.lastError == "unavailable: upstream 503")
        #expect(try await h.store.claim(max: 5, leaseMillis: 60_000).isEmpty, "not before its backoff")

        try await h.elapse(50)
        let second = try #require(try await h.stores.last!.claim(max: 5, leaseMillis: 60_000).first)
        #expect(second.job.id == job.id && second.job.attempts == 2 && second.token > first.token)
        let dead = machine.finish(after: failure, attempts: second.job.attempts, maxAttempts: 2, unitRandom: 0.5)
        #expect(dead == .dead(error: "unavailable: upstream 503"))
        #expect(try await h.stores.last!.finish(second, dead, processingMillis: 9, resultTTLMillis: 60_000))

        let buried = try #require(try await h.store.job(id: job.id))
        #expect(buried.state == .dead && buried.attempts == 2 && buried.lastError == "unavailable: upstream 503")
        #expect(try await h.store.deadLetters(limit: 10, afterID: "").map(\.id) == [job.id])
        let stats = try await h.store.stats()[.normal]
        #expect(stats.dead == 1 && stats.deadTotal == 1 && stats.retried == 1 && stats.queued == 0 && stats.running == 0)
        #expect(stats.runs == 2 && stats.averageProcessingMillis == 8 && stats.failureRate == 1)
    }

    @Test(arguments: Backend.allCases)
    func anIdempotencyKeyReturnsTheFirstJob(backend: Backend) async throws {
        let h = try Harness(backend)
        let first = try await h.store.enqueue(JobSubmission(
            priority: .high, maxAttempts: 3, timeoutMillis: 1_000, payload: [1, 2, 3], idempotencyKey: "nightly-42"))
        let again = try await h.stores.last!.enqueue(JobSubmission(
            priority: .low, maxAttempts: 1, timeoutMillis: 9, payload: [9], idempotencyKey: "nightly-42"))
        #expect(!first.duplicate && again.duplicate)
        #expect(again.job.id == first.job.id && again.job.priority == .high && again.job.payload == [1, 2, 3])
        let other = try await h.store.enqueue(JobSubmission(
            priority: .high, maxAttempts: 3, timeoutMillis: 1_000, payload: [1], idempotencyKey: "nightly-43"))
        #expect(!other.duplicate && other.job.id != first.job.id)
        #expect(try await h.store.stats()[.high].queued == 2)
    }

    @Test(arguments: Backend.allCases)
    func anExpiredLeaseReturnsTheJobAndTheOldClaimCanNoLongerFinishIt(backend: Backend) async throws {
        let h = try Harness(backend)
        let job = try await h.enqueue(tag: "long")
        let lost = try #require(try await h.store.claim(max: 1, leaseMillis: 60).first)
        #expect(try await h.store.renew([lost], leaseMillis: 60) == [true])
        try await h.elapse(90)
        #expect(try await h.store.renew([lost], leaseMillis: 60) == [false], "a passed lease is not renewed")

        let taken = try #require(try await h.stores.last!.claim(max: 1, leaseMillis: 60_000).first)
        #expect(taken.job.id == job.id && taken.job.attempts == 2 && taken.token > lost.token)
        #expect(!(try await h.store.finish(lost, .succeeded(result: [0]), processingMillis: 1, resultTTLMillis: 60_000)))
        #expect(!(try await h.store.finish(lost, .dead(error: "late"), processingMillis: 1, resultTTLMillis: 60_000)))
        #expect(try await h.store.renew([lost, taken], leaseMillis: 60_000) == [false, true])
        #expect(try await h.stores.last!.finish(taken, .succeeded(result: [4, 2]), processingMillis: 3,
                                                resultTTLMillis: 60_000))
        let done = try #require(try await h.store.job(id: job.id))
        #expect(done.state == .succeeded && done.result == [4, 2] && done.lastError.isEmpty)
        let stats = try await h.store.stats()[.normal]
        #expect(stats.succeeded == 1 && stats.running == 0 && stats.queued == 0 && stats.successRate == 1)
    }

    @Test(arguments: Backend.allCases)
    func aLeaseLostOnTheLastAttemptBuriesTheJob(backend: Backend) async throws {
        let h = try Harness(backend)
        let job = try await h.enqueue(tag: "poison", maxAttempts: 1)
        _ = try await h.store.claim(max: 1, leaseMillis: 30)
        try await h.elapse(50)
        #expect(try await h.store.claim(max: 1, leaseMillis: 30).isEmpty)
        let dead = try #require(try await h.store.job(id: job.id))
        #expect(dead.state == .dead && dead.lastError.contains("lease expired"))
    }

    @Test(arguments: Backend.allCases)
    func aWaitGivesTheAttemptBackAndKeepsTheJobsPlace(backend: Backend) async throws {
        let h = try Harness(backend)
        try await h.enqueue(.low, tag: "limited")
        try await h.enqueue(.low, tag: "next")
        let claim = try #require(try await h.store.claim(max: 1, leaseMillis: 60_000).first)
        #expect(try await h.store.finish(claim, .wait(error: "rate limited", delayMillis: 0), processingMillis: 1,
                                         resultTTLMillis: 60_000))
        let again = try await h.store.claim(max: 2, leaseMillis: 60_000)
        #expect(h.tags(again) == ["limited", "next"])
        #expect(again[0].job.attempts == 1 && again[0].job.lastError == "rate limited")
        #expect(try await h.store.stats()[.low].runs == 0, "a wait is not a run")
    }

    @Test(arguments: Backend.allCases)
    func deadLettersArePagedRetriedAndPurged(backend: Backend) async throws {
        let h = try Harness(backend)
        var ids: [String] = []
        for i in 0..<3 {
            let job = try await h.enqueue(.high, tag: "d\(i)", maxAttempts: 1, key: "k\(i)")
            let claim = try #require(try await h.store.claim(max: 1, leaseMillis: 60_000).first)
            #expect(try await h.store.finish(claim, .dead(error: "boom \(i)"), processingMillis: 1, resultTTLMillis: 1_000))
            ids.append(job.id)
        }
        let page = try await h.store.deadLetters(limit: 2, afterID: "")
        #expect(page.map(\.id) == Array(ids.prefix(2)))
        #expect(try await h.store.deadLetters(limit: 2, afterID: page[1].id).map(\.id) == [ids[2]])
        #expect(page[0].lastError == "boom 0" && page[0].priority == .high)

        #expect(try await h.stores.last!.retryDeadLetters(ids: [ids[1], "job_00000000000000ffffffff"]) == 1)
        let revived = try #require(try await h.store.claim(max: 5, leaseMillis: 60_000).first)
        #expect(revived.job.id == ids[1] && revived.job.attempts == 1)
        #expect(try await h.store.stats()[.high].dead == 2)

        #expect(try await h.store.purgeDeadLetters(ids: []) == 2)
        #expect(try await h.store.deadLetters(limit: 10, afterID: "").isEmpty)
        #expect(try await h.store.job(id: ids[0]) == nil)
        #expect(try await h.store.stats()[.high].dead == 0)
        // A purged job's idempotency key is free again.
        #expect(!(try await h.store.enqueue(JobSubmission(
            priority: .high, maxAttempts: 1, timeoutMillis: 1, payload: [], idempotencyKey: "k0")).duplicate))
        #expect(try await h.store.retryDeadLetters(ids: []) == 0)
    }

    @Test(arguments: Backend.allCases)
    func finishedJobsExpireAfterTheirResultTTL(backend: Backend) async throws {
        let h = try Harness(backend)
        let job = try await h.enqueue(tag: "short-lived", key: "once")
        let claim = try #require(try await h.store.claim(max: 1, leaseMillis: 60_000).first)
        #expect(try await h.store.finish(claim, .failed(error: "invalid_argument: bad"), processingMillis: 1,
                                         resultTTLMillis: 60))
        #expect(try await h.store.job(id: job.id)?.state == .failed)
        try await h.elapse(100)
        #expect(try await h.store.job(id: job.id) == nil)
        #expect(try await h.store.stats()[.normal].failed == 1)
        #expect(!(try await h.enqueue(tag: "again", key: "once").id.isEmpty))
    }

    @Test(arguments: Backend.allCases)
    func concurrentClaimsNeverHandOutAJobTwice(backend: Backend) async throws {
        let h = try Harness(backend)
        for i in 0..<200 { try await h.enqueue(JobPriority.allCases[i % 5], tag: "\(i)") }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for i in 0..<20 {
                let store = h.stores[i % h.stores.count]
                group.addTask { try await store.claim(max: 15, leaseMillis: 60_000).map(\.job.id) }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 200 && Set(claimed).count == 200)
        #expect(try await h.store.stats().total.running == 200)
    }

    @Test(arguments: Backend.allCases)
    func enqueueIsRefusedWhenTheQueueIsFull(backend: Backend) async throws {
        let h = try Harness(backend, maxJobs: 2)
        try await h.enqueue()
        try await h.enqueue()
        await #expect(throws: GatewayError.self) { try await h.enqueue() }
        do {
            try await h.enqueue()
        } catch let error as GatewayError {
            #expect(error.code == .resourceExhausted && error.reason == "queue_full")
        }
    }
}
