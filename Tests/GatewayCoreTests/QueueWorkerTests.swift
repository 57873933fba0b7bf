import GatewayCore
import Synchronization
import Testing

/// The job state machine's decisions, and the worker loop over the memory store with a scripted runner: no I/O, the
/// store's time from a `ManualClock`, the worker's short waits real.
@Suite struct QueueWorkerTests {
    // MARK: State machine

    @Test func retryableFailuresBackOffWithJitterThenDie() {
        let m = JobStateMachine(baseDelayMillis: 1_000, maxDelayMillis: 60_000)
        let failure = JobStateMachine.RunResult.failed(JobFailure(.retryable, "503"))
        #expect(m.finish(after: failure, attempts: 1, maxAttempts: 3, unitRandom: 0) == .retry(error: "503", delayMillis: 500))
        #expect(m.finish(after: failure, attempts: 2, maxAttempts: 3, unitRandom: 0.999) == .retry(error: "503", delayMillis: 1_999))
        #expect(m.finish(after: failure, attempts: 3, maxAttempts: 3, unitRandom: 0.5) == .dead(error: "503"))
        #expect(m.backoffMillis(attempt: 40, unitRandom: 0) == 30_000)
        let hinted = JobStateMachine.RunResult.failed(JobFailure(.retryable, "429", retryAfterMillis: 7_000))
        #expect(m.finish(after: hinted, attempts: 1, maxAttempts: 3, unitRandom: 0) == .retry(error: "429", delayMillis: 7_000))
    }

    @Test func deferralsWaitWithoutUsingAnAttemptAndOtherKindsEndAtOnce() {
        let m = JobStateMachine()
        #expect(m.finish(after: .failed(JobFailure(.deferred, "limit", retryAfterMillis: 250)), attempts: 3,
                         maxAttempts: 3, unitRandom: 0) == .wait(error: "limit", delayMillis: 250))
        #expect(m.finish(after: .failed(JobFailure(.permanent, "bad")), attempts: 1, maxAttempts: 3, unitRandom: 0)
                == .failed(error: "bad"))
        #expect(m.finish(after: .failed(JobFailure(.fatal, "key")), attempts: 1, maxAttempts: 3, unitRandom: 0)
                == .dead(error: "key"))
        #expect(m.finish(after: .failed(JobFailure(.cancelled, "x")), attempts: 1, maxAttempts: 3, unitRandom: 0)
                == .wait(error: "x", delayMillis: 0))
        #expect(m.finish(after: .answered([1]), attempts: 1, maxAttempts: 1, unitRandom: 0) == .succeeded(result: [1]))
    }

    @Test func failuresAreClassifiedByTheirUpstreamCategoryOrCode() {
        let limited = GatewayError(.resourceExhausted, "x", reason: "rate_limited", retryAfterMillis: 90)
        #expect(JobFailure.classify(limited, category: nil) == JobFailure(.deferred, "resourceExhausted rate_limited: x", retryAfterMillis: 90))
        #expect(JobFailure.classify(GatewayError(.resourceExhausted, "b", reason: "budget_exhausted"), category: nil).kind == .deferred)
        #expect(JobFailure.classify(GatewayError(.unavailable, "x"), category: .serverError).kind == .retryable)
        #expect(JobFailure.classify(GatewayError(.resourceExhausted, "x"), category: .rateLimited).kind == .retryable)
        #expect(JobFailure.classify(GatewayError(.invalidArgument, "x"), category: .invalidRequest).kind == .permanent)
        #expect(JobFailure.classify(GatewayError(.failedPrecondition, "x"), category: .authentication).kind == .fatal)
        #expect(JobFailure.classify(GatewayError(.resourceExhausted, "x"), category: .quotaExhausted).kind == .fatal)
        #expect(JobFailure.classify(GatewayError(.invalidArgument, "x"), category: nil).kind == .permanent)
        #expect(JobFailure.classify(GatewayError(.failedPrecondition, "x", reason: "no_provider"), category: nil).kind == .fatal)
        #expect(JobFailure.classify(GatewayError(.unavailable, "redis"), category: nil).kind == .retryable)
        #expect(JobFailure.classify(GatewayError(.cancelled, "x"), category: nil).kind == .cancelled)
    }

    @Test func theTransitionTableAllowsOnlyTheDocumentedMoves() {
        #expect(JobState.queued.canMove(to: .running) && JobState.retrying.canMove(to: .running))
        #expect(JobState.running.canMove(to: .succeeded) && JobState.running.canMove(to: .dead))
        #expect(JobState.dead.canMove(to: .queued))
        #expect(!JobState.succeeded.canMove(to: .queued) && !JobState.failed.canMove(to: .running))
        #expect(!JobState.queued.canMove(to: .succeeded))
        #expect(JobState.allCases.filter(\.isTerminal) == [.succeeded, .failed, .dead])
    }

    // MARK: Worker

    final class Counters: Sendable {
        let state = Mutex((now: 0, peak: 0, runs: 0))
    }

    final class Harness: Sendable {
        let clock = ManualClock()
        let store: MemoryQueueStore
        let counters = Counters()

        init() { store = MemoryQueueStore(clock: clock) }

        func worker(
            concurrency: Int = 4, batch: Int = 3, grace: Int64 = 5_000, retryBase: Int64 = 0,
            runner: @escaping QueueWorker.Runner
        ) -> QueueWorker {
            var settings = QueueWorker.Settings()
            settings.concurrency = concurrency
            settings.batchSize = batch
            settings.pollIntervalMillis = 2
            settings.drainGraceMillis = grace
            settings.retry = JobStateMachine(baseDelayMillis: retryBase, maxDelayMillis: retryBase)
            let counters = self.counters
            // The worker's timeouts and drain grace run on real time (its loop really sleeps); the store's on the
            // manual clock.
            return QueueWorker(store: store, settings: settings, clock: SystemClock(), unitRandom: { 0 }) { claim in
                counters.state.withLock {
                    $0.now += 1
                    $0.peak = max($0.peak, $0.now)
                    $0.runs += 1
                }
                let result = await runner(claim)
                counters.state.withLock { $0.now -= 1 }
                return result
            }
        }

        @discardableResult
        func enqueue(_ tag: String, maxAttempts: Int = 3, timeout: Int64 = 30_000) async throws -> QueueJob {
            try await store.enqueue(JobSubmission(
                priority: .normal, maxAttempts: maxAttempts, timeoutMillis: timeout, payload: Array(tag.utf8))).job
        }

        /// Runs the worker until `done` holds (checked every few milliseconds, at most 10 s), then stops it.
        func run(_ worker: QueueWorker, until done: @escaping @Sendable () async throws -> Bool) async throws {
            let task = Task { await worker.run() }
            let deadline = ContinuousClock.now + .seconds(10)
            while try await !done() {
                guard ContinuousClock.now < deadline else {
                    worker.stop()
                    await task.value
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(3))
            }
            worker.stop()
            await task.value
        }
    }

    @Test func runsEveryJobOnceWithinItsConcurrency() async throws {
        let h = Harness()
        var ids: [String] = []
        for i in 0..<40 { ids.append(try await h.enqueue("\(i)").id) }
        let worker = h.worker(concurrency: 4, batch: 3) { claim in
            try? await Task.sleep(for: .milliseconds(2))
            return .answered(claim.job.payload.reversed())
        }
        try await h.run(worker) { try await h.store.stats()[.normal].succeeded == 40 }
        #expect(h.counters.state.withLock { $0.peak } <= 4)
        #expect(h.counters.state.withLock { $0.runs } == 40)
        let job = try await h.store.job(id: ids[12])
        #expect(job?.state == .succeeded && job?.result == Array("21".utf8))
        #expect(worker.inFlight == 0)
    }

    @Test func retryableFailuresAreRetriedThenDeadLettered() async throws {
        let h = Harness()
        let job = try await h.enqueue("flaky", maxAttempts: 3)
        let worker = h.worker { _ in .failed(JobFailure(.retryable, "unavailable: 503")) }
        try await h.run(worker) { try await h.store.job(id: job.id)?.state == .dead }
        let dead = try #require(try await h.store.job(id: job.id))
        #expect(dead.attempts == 3 && dead.lastError == "unavailable: 503")
        #expect(h.counters.state.withLock { $0.runs } == 3)
        #expect(try await h.store.stats()[.normal].retried == 2)
    }

    @Test func aDeferredJobWaitsWithoutUsingItsAttempts() async throws {
        let h = Harness()
        let job = try await h.enqueue("limited", maxAttempts: 1)
        let denials = Mutex(3)
        let worker = h.worker { claim in
            let deny = denials.withLock { n -> Bool in
                defer { n -= 1 }
                return n > 0
            }
            return deny ? .failed(JobFailure(.deferred, "rate limited", retryAfterMillis: 1)) : .answered([1])
        }
        // The store's clock moves the waits along.
        try await h.run(worker) {
            h.clock.advance(millis: 1)
            return try await h.store.job(id: job.id)?.state == .succeeded
        }
        #expect(try await h.store.job(id: job.id)?.attempts == 1)
        #expect(h.counters.state.withLock { $0.runs } == 4)
    }

    @Test func aJobPastItsTimeoutIsCancelledAndRetried() async throws {
        let h = Harness()
        let job = try await h.enqueue("slow", maxAttempts: 2, timeout: 30)
        let worker = h.worker { _ in
            do {
                try await Task.sleep(for: .seconds(30))
                return .answered([])
            } catch {
                return .failed(JobFailure(.cancelled, "cancelled"))
            }
        }
        try await h.run(worker) { try await h.store.job(id: job.id)?.state == .dead }
        let dead = try #require(try await h.store.job(id: job.id))
        #expect(dead.attempts == 2 && dead.lastError == "timed out after 30 ms")
    }

    @Test func permanentFailuresEndTheJobWithoutRetries() async throws {
        let h = Harness()
        let job = try await h.enqueue("bad", maxAttempts: 5)
        let worker = h.worker { _ in .failed(JobFailure(.permanent, "invalid_argument: bad model")) }
        try await h.run(worker) { try await h.store.job(id: job.id)?.state == .failed }
        #expect(try await h.store.job(id: job.id)?.attempts == 1)
        #expect(h.counters.state.withLock { $0.runs } == 1)
    }

    @Test func stoppingReleasesJobsStillRunningAfterTheGrace() async throws {
        let h = Harness()
        let job = try await h.enqueue("stuck")
        let worker = h.worker(grace: 20) { _ in
            do {
                try await Task.sleep(for: .seconds(30))
                return .answered([])
            } catch {
                return .failed(JobFailure(.cancelled, "cancelled"))
            }
        }
        let task = Task { await worker.run() }
        while try await h.store.job(id: job.id)?.state != .running { try await Task.sleep(for: .milliseconds(2)) }
        let started = ContinuousClock.now
        worker.stop()
        await task.value
        #expect(ContinuousClock.now - started < .seconds(5))
        let released = try #require(try await h.store.job(id: job.id))
        #expect(released.state == .queued && released.attempts == 0)
        #expect(try await h.store.claim(max: 1, leaseMillis: 1_000).first?.job.id == job.id)
    }

    @Test func stoppingLetsRunningJobsFinishWithinTheGrace() async throws {
        let h = Harness()
        let job = try await h.enqueue("quick")
        let worker = h.worker(grace: 5_000) { _ in
            try? await Task.sleep(for: .milliseconds(50))
            return .answered([7])
        }
        let task = Task { await worker.run() }
        while try await h.store.job(id: job.id)?.state != .running { try await Task.sleep(for: .milliseconds(2)) }
        worker.stop()
        await task.value
        #expect(try await h.store.job(id: job.id)?.state == .succeeded)
    }
}
