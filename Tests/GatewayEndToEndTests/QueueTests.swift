import FakeUpstream
import Foundation
import GatewayClient
import GatewayWire
import Testing

/// The request queue through real aigw processes against the fake upstream: Enqueue to a result, retries into the
/// dead-letter queue and the admin's replay, rate-limited jobs that wait instead of failing, a GetJob wait that ends
/// at its deadline, and two instances on one Redis where one is killed with SIGKILL mid-run and no job is lost.
@Suite(.serialized) struct QueueTests {
    static func enqueue(
        _ client: GatewayClient, _ text: String, model: String = "gpt-4o-mini", user: String = "u1",
        priority: Aigw_V1_Priority = .normal, maxAttempts: UInt32 = 0, key: String = ""
    ) async throws -> Aigw_V1_EnqueueResponse {
        var request = Aigw_V1_EnqueueRequest()
        var complete = CompletionTests.request(model, text)
        complete.caller?.userId = user
        request.request = complete
        request.priority = priority
        request.maxAttempts = maxAttempts
        request.idempotencyKey = key
        return try await client.call(Aigw_V1_Gateway.enqueue, request)
    }

    static func job(_ client: GatewayClient, _ id: String, waitMillis: UInt64 = 0) async throws -> Aigw_V1_Job {
        var request = Aigw_V1_GetJobRequest()
        request.jobId = id
        request.waitMs = waitMillis
        let response = try await client.call(
            Aigw_V1_Gateway.getJob, request, options: CallOptions(timeout: .milliseconds(Int64(waitMillis) + 10_000)))
        return try #require(response.job)
    }

    /// Fast retries between job attempts and none inside one attempt, so each attempt is one upstream request.
    static let fastRetries = [
        "AIGW_RETRY_MAX_RETRIES": "0", "AIGW_QUEUE_RETRY_BASE_DELAY_MS": "20", "AIGW_QUEUE_RETRY_MAX_DELAY_MS": "40",
        "AIGW_QUEUE_POLL_INTERVAL_MS": "10",
    ]

    @Test func anEnqueuedCompletionRunsAndGetJobWaitsForItsResult() async throws {
        let h = try await CompletionTests.Harness.start(Self.fastRetries)
        defer { Task { await h.stop() } }
        h.fake.setReply(FakeReply(text: "queued answer", inputTokens: 11), model: "gpt-4o-mini")

        let enqueued = try await Self.enqueue(h.client, "summarize this", priority: .high, key: "nightly-1")
        #expect(enqueued.jobId.hasPrefix("job_") && !enqueued.duplicate && enqueued.state == .queued)
        let again = try await Self.enqueue(h.client, "something else", key: "nightly-1")
        #expect(again.duplicate && again.jobId == enqueued.jobId)

        let job = try await Self.job(h.client, enqueued.jobId, waitMillis: 10_000)
        #expect(job.state == .succeeded && job.attempts == 1 && job.priority == .high)
        #expect(job.result?.content == "queued answer" && job.result?.usage?.inputTokens == 11)
        #expect(job.result?.requestId == enqueued.jobId, "a request without an id answers under the job id")
        #expect(job.caller?.userId == "u1" && job.lastError.isEmpty)
        #expect(h.fake.attempts() == 1)
        #expect(h.fake.requests.first?.bodyText.contains("summarize this") == true)
        // Charged like a Complete.
        let usage = try await UsageTests.usage(h.client, user: "u1")
        #expect(usage.totals?.requests == 1 && usage.totals?.usage?.inputTokens == 11)

        await #expect(throws: RPCError.self) { _ = try await Self.job(h.client, "job_00000000000000ffdeadbeef") }
        await #expect(throws: RPCError.self) { _ = try await Self.job(h.client, "../../etc") }
        var empty = Aigw_V1_EnqueueRequest()
        empty.request = CompletionTests.request("")
        await #expect(throws: RPCError.self) { _ = try await h.client.call(Aigw_V1_Gateway.enqueue, empty) }
    }

    @Test func retryableFailuresEndInTheDeadLetterQueueAndAReplaySucceeds() async throws {
        let h = try await CompletionTests.Harness.start(Self.fastRetries)
        defer { Task { await h.stop() } }
        h.fake.setDefault(.serverError())
        let flaky = try await Self.enqueue(h.client, "flaky", maxAttempts: 3)
        let dead = try await Self.job(h.client, flaky.jobId, waitMillis: 10_000)
        #expect(dead.state == .dead && dead.attempts == 3)
        #expect(dead.lastError.contains("server_error") || dead.lastError.contains("unavailable"))
        #expect(h.fake.attempts() == 3, "one upstream request per job attempt")

        // A request the upstream rejects as invalid fails at once: no retry, not a dead letter.
        h.fake.setDefault(.ok)
        h.fake.enqueue([.status(400)])
        let invalid = try await Self.enqueue(h.client, "bad", maxAttempts: 3)
        let failed = try await Self.job(h.client, invalid.jobId, waitMillis: 10_000)
        #expect(failed.state == .failed && failed.attempts == 1)

        let letters = try await h.client.call(Aigw_V1_Admin.listDeadLetters, Aigw_V1_ListDeadLettersRequest())
        #expect(letters.jobs.map(\.jobId) == [flaky.jobId])
        let stats = try await h.client.call(Aigw_V1_Admin.getQueueStats, Aigw_V1_GetQueueStatsRequest())
        let normal = try #require(stats.priorities.first { $0.priority == .normal })
        #expect(normal.dead == 1 && normal.failed == 1 && normal.retried == 2 && normal.succeeded == 0)
        #expect(stats.workers == 32 && stats.failureRate == 1)

        // The CLI sees the same, then replays the dead letter once the upstream is healthy again.
        let aigwctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let listed = try CLI.run(aigwctl, ["dlq", "list", "--socket", h.server.socketPath])
        #expect(listed.status == 0 && listed.stdout.contains(flaky.jobId))
        let table = try CLI.run(aigwctl, ["queue", "stats", "--socket", h.server.socketPath])
        #expect(table.status == 0 && table.stdout.contains("normal") && table.stdout.contains("DEAD"))
        let retried = try CLI.run(aigwctl, ["dlq", "retry", "--all", "--socket", h.server.socketPath])
        #expect(retried.status == 0 && retried.stdout.contains("retried 1"), "\(retried.stderr)")
        let replayed = try await Self.job(h.client, flaky.jobId, waitMillis: 10_000)
        #expect(replayed.state == .succeeded && replayed.attempts == 1)
        let shown = try CLI.run(aigwctl, ["job", flaky.jobId, "--socket", h.server.socketPath])
        #expect(shown.status == 0 && shown.stdout.contains("succeeded"))
        let purged = try CLI.run(aigwctl, ["dlq", "purge", "--all", "--socket", h.server.socketPath])
        #expect(purged.status == 0 && purged.stdout.contains("purged 0"))
    }

    @Test func rateLimitedJobsWaitInsteadOfFailing() async throws {
        var env = Self.fastRetries
        env["AIGW_LIMIT_CHAT_USER"] = "2/1s"
        let h = try await CompletionTests.Harness.start(env)
        defer { Task { await h.stop() } }
        var ids: [String] = []
        for i in 0..<5 { ids.append(try await Self.enqueue(h.client, "limited \(i)", user: "burst", maxAttempts: 1).jobId) }
        for id in ids {
            let job = try await Self.job(h.client, id, waitMillis: 15_000)
            #expect(job.state == .succeeded && job.attempts == 1, "\(job.lastError)")
        }
        #expect(h.fake.attempts() == 5)
    }

    @Test func aGetJobWaitEndsAtItsDeadline() async throws {
        let server = try ServerProcess(environment: ["AIGW_QUEUE_WORKERS": "0"])
        let client = try await server.client()
        defer { Task { await client.close(); server.terminate() } }
        let enqueued = try await Self.enqueue(client, "nobody runs this")
        let started = ContinuousClock.now
        let job = try await Self.job(client, enqueued.jobId, waitMillis: 400)
        let waited = ContinuousClock.now - started
        #expect(job.state == .queued && job.attempts == 0)
        #expect(waited >= .milliseconds(400) && waited < .seconds(3), "\(waited)")
    }

    /// Two instances share one Redis; 500 jobs; one instance is killed with SIGKILL mid-run. The survivor finishes
    /// every job, including those the dead one held (their leases expire and they return to the queue).
    @Test(.enabled(if: SharedLimitTests.redisURL != nil || SharedLimitTests.underCI, "needs the Redis that `make test` starts"))
    func noJobIsLostWhenAnInstanceIsKilledMidRun() async throws {
        guard let base = SharedLimitTests.redisURL else {
            throw TestFailure("AIGW_TEST_REDIS_URL is not set: under CI this test must run through `make test`")
        }
        // A database of its own, emptied first, so no other test's instance claims these jobs.
        let url = Self.database(base, 11)
        _ = try CLI.run("/usr/bin/redis-cli", ["-u", url, "FLUSHDB"])
        var env = Self.fastRetries
        env["REDIS_URL"] = url
        env["AIGW_QUEUE_VISIBILITY_TIMEOUT_MS"] = "1000"
        env["AIGW_QUEUE_WORKERS"] = "16"
        env["AIGW_REDIS_COMMAND_TIMEOUT_MS"] = "2000"
        let h = try await CompletionTests.Harness.start(env)
        defer { Task { await h.stop() } }
        let victim = try ServerProcess(environment: h.server.environment)
        let victimClient = try await victim.client()
        h.fake.setDefault(.slowFirstToken(milliseconds: 30))

        let total = 500
        var ids: [String] = []
        for i in 0..<total {
            let client = i % 2 == 0 ? h.client : victimClient
            ids.append(try await Self.enqueue(client, "kill-test job \(i).", priority: .allCases[1 + i % 5]).jobId)
        }
        #expect(Set(ids).count == total)
        // Kill once the victim has work in hand and a good part of the queue is done.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let stats = try await h.client.call(Aigw_V1_Admin.getQueueStats, Aigw_V1_GetQueueStatsRequest())
            if stats.succeeded >= 100 && stats.running > 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(victim.process.processIdentifier, SIGKILL)
        _ = victim.waitForExit(timeout: 10)
        await victimClient.close()

        let finished = ContinuousClock.now + .seconds(60)
        var stats = Aigw_V1_GetQueueStatsResponse()
        while ContinuousClock.now < finished {
            stats = try await h.client.call(Aigw_V1_Admin.getQueueStats, Aigw_V1_GetQueueStatsRequest())
            if stats.succeeded >= UInt64(total) && stats.running == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(stats.succeeded == UInt64(total) && stats.running == 0 && stats.dead == 0 && stats.failed == 0)
        #expect(stats.queued.reduce(0) { $0 + $1.depth } == 0)

        // Every job ended succeeded exactly once, with its own answer; the upstream saw every job at least once.
        var states: [String: Aigw_V1_JobState] = [:]
        for id in ids { states[id] = try await Self.job(h.client, id).state }
        #expect(states.count == total && states.values.allSatisfy { $0 == .succeeded })
        let bodies = h.fake.requests.map(\.bodyText)
        var seen = Set<Int>()
        for body in bodies {
            guard let range = body.range(of: "kill-test job ") else { continue }
            if let n = Int(body[range.upperBound...].prefix { $0.isNumber }) { seen.insert(n) }
        }
        #expect(seen == Set(0..<total))
        // The jobs the killed instance held were sent upstream, lost with it, and run again by the survivor.
        #expect(bodies.count > total, "no job was in flight on the killed instance")
    }

    static func database(_ url: String, _ db: Int) -> String {
        var base = url
        if let slash = base.range(of: "/", options: .backwards), base[slash.upperBound...].allSatisfy(\.isNumber),
            base.distance(from: base.startIndex, to: slash.lowerBound) > "redis://".count
        {
            base = String(base[..<slash.lowerBound])
        }
        return base + "/\(db)"
    }
}
