/// Where queued jobs live: the memory store for the embedded default (jobs are lost when the process exits), the
/// Redis store for durable, at-least-once processing shared by every instance.
///
/// Every method is one atomic step. Ordering is by score `enqueued_at_ms + rank × aging_step_ms` (see
/// `JobPriority`), ties in enqueue order. A claim leases jobs for `leaseMillis`; a job whose lease passes returns
/// to the queue at its old place (or to the dead-letter queue when that was its last attempt) at the next claim by
/// any worker. A finish or renewal whose token is not the job's current claim is refused and changes nothing.
public protocol QueueStore: Sendable {
    /// Adds a job, or returns the job an earlier submission with the same idempotency key created (`duplicate`).
    /// Throws RESOURCE_EXHAUSTED when the store already holds its maximum of unfinished and dead jobs.
    func enqueue(_ submission: JobSubmission) async throws -> (job: QueueJob, duplicate: Bool)

    /// The job, or nil when it never existed or its result expired.
    func job(id: String) async throws -> QueueJob?

    /// Requeues expired leases and due retries, then claims up to `max` jobs in order under a `leaseMillis` lease.
    func claim(max: Int, leaseMillis: Int64) async throws -> [JobClaim]

    /// Extends the leases of claims still held; the answer says, per claim, whether it still was.
    func renew(_ claims: [JobClaim], leaseMillis: Int64) async throws -> [Bool]

    /// Ends a claim. False when the claim was no longer held (its lease expired): nothing changed.
    /// `processingMillis` feeds the average processing time; `resultTTLMillis` is how long a succeeded or failed job
    /// is kept.
    func finish(_ claim: JobClaim, _ finish: JobFinish, processingMillis: Int64, resultTTLMillis: Int64)
        async throws -> Bool

    /// Counts per priority.
    func stats() async throws -> QueueStats

    /// Dead jobs in the order they died, after the job `afterID` (empty for the start), at most `limit`.
    func deadLetters(limit: Int, afterID: String) async throws -> [QueueJob]

    /// Puts dead jobs back in the queue with fresh attempts: the given ids, or (empty) up to `QueueStats.maxBatch`
    /// of them. Returns how many moved.
    func retryDeadLetters(ids: [String]) async throws -> Int

    /// Deletes dead jobs: the given ids, or (empty) up to `QueueStats.maxBatch` of them. Returns how many.
    func purgeDeadLetters(ids: [String]) async throws -> Int
}

/// Queue counters, per priority. Current counts (`queued`, `running`, `dead`) are exact; the rest count since the
/// store's counters began (the process start for memory, the keys' creation on Redis).
public struct QueueStats: Sendable, Hashable {
    /// The most dead letters one retry-all or purge-all call handles; callers repeat until fewer come back.
    public static let maxBatch = 10_000

    public struct Counts: Sendable, Hashable {
        /// Waiting to run, including jobs waiting out a retry backoff or a limit.
        public var queued: Int64 = 0
        public var running: Int64 = 0
        public var dead: Int64 = 0
        public var succeeded: Int64 = 0
        public var failed: Int64 = 0
        /// Jobs ever moved to the dead-letter queue.
        public var deadTotal: Int64 = 0
        /// Failed attempts that were retried.
        public var retried: Int64 = 0
        /// Finished runs and their total processing time.
        public var runs: Int64 = 0
        public var processingMillis: Int64 = 0

        public init() {}

        public var averageProcessingMillis: Int64 { runs == 0 ? 0 : processingMillis / runs }

        /// Succeeded among jobs that ended (succeeded, failed or dead), 0 when none has.
        public var successRate: Double {
            let ended = succeeded + failed + deadTotal
            return ended == 0 ? 0 : Double(succeeded) / Double(ended)
        }

        public var failureRate: Double {
            let ended = succeeded + failed + deadTotal
            return ended == 0 ? 0 : Double(failed + deadTotal) / Double(ended)
        }

        public static func + (a: Counts, b: Counts) -> Counts {
            var c = Counts()
            c.queued = a.queued + b.queued
            c.running = a.running + b.running
            c.dead = a.dead + b.dead
            c.succeeded = a.succeeded + b.succeeded
            c.failed = a.failed + b.failed
            c.deadTotal = a.deadTotal + b.deadTotal
            c.retried = a.retried + b.retried
            c.runs = a.runs + b.runs
            c.processingMillis = a.processingMillis + b.processingMillis
            return c
        }
    }

    public var byPriority: [JobPriority: Counts]

    public init(byPriority: [JobPriority: Counts] = [:]) {
        self.byPriority = byPriority
    }

    public subscript(_ priority: JobPriority) -> Counts { byPriority[priority] ?? Counts() }

    public var total: Counts { JobPriority.allCases.reduce(Counts()) { $0 + self[$1] } }
}

extension GatewayError {
    /// What enqueue answers when a store holds its maximum of unfinished and dead jobs.
    public static func queueFull(maxJobs: Int) -> GatewayError {
        GatewayError(.resourceExhausted, "the queue holds its maximum of \(maxJobs) unfinished and dead jobs",
                     reason: "queue_full")
    }
}
