/// One job of the request queue as a store keeps it.
///
/// The payload and the result are opaque bytes to Core and the stores (the server puts the wire CompleteRequest and
/// CompleteResponse there), so the queue knows nothing about transport.
public struct QueueJob: Sendable, Hashable {
    public var id: String
    public var priority: JobPriority
    public var state: JobState
    /// Attempts started so far. A claim starts one; a limit or budget wait gives it back.
    public var attempts: Int
    public var maxAttempts: Int
    public var timeoutMillis: Int64
    public var payload: [UInt8]
    public var idempotencyKey: String
    public var userID: String
    public var orgID: String
    public var lastError: String
    /// Empty until the job succeeds.
    public var result: [UInt8]
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64

    public init(
        id: String, priority: JobPriority, state: JobState = .queued, attempts: Int = 0, maxAttempts: Int,
        timeoutMillis: Int64, payload: [UInt8], idempotencyKey: String = "", userID: String = "", orgID: String = "",
        lastError: String = "", result: [UInt8] = [], createdAtMillis: Int64, updatedAtMillis: Int64
    ) {
        self.id = id
        self.priority = priority
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.timeoutMillis = timeoutMillis
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.userID = userID
        self.orgID = orgID
        self.lastError = lastError
        self.result = result
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
    }
}

/// What a caller hands to `QueueStore.enqueue`.
public struct JobSubmission: Sendable, Hashable {
    public var priority: JobPriority
    public var maxAttempts: Int
    public var timeoutMillis: Int64
    public var payload: [UInt8]
    /// Empty for none. A key already seen returns the job it created.
    public var idempotencyKey: String
    public var userID: String
    public var orgID: String

    public init(
        priority: JobPriority, maxAttempts: Int, timeoutMillis: Int64, payload: [UInt8], idempotencyKey: String = "",
        userID: String = "", orgID: String = ""
    ) {
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutMillis = timeoutMillis
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.userID = userID
        self.orgID = orgID
    }
}

/// A job a worker holds under a lease. `token` counts the job's claims: a finish or renewal carrying an older token
/// (from a worker whose lease expired and whose job another worker claimed) changes nothing.
public struct JobClaim: Sendable, Hashable {
    public var job: QueueJob
    public var token: Int64

    public init(job: QueueJob, token: Int64) {
        self.job = job
        self.token = token
    }
}

/// How a worker ends its claim on a job.
public enum JobFinish: Sendable, Hashable {
    /// Answered: the result is kept for the result TTL.
    case succeeded(result: [UInt8])
    /// The attempt failed with a retryable error; run again after `delayMillis`.
    case retry(error: String, delayMillis: Int64)
    /// Not run (a rate limit, a budget, a shutdown): the attempt is given back and the job keeps its place in line
    /// once `delayMillis` has passed.
    case wait(error: String, delayMillis: Int64)
    /// Ended by an error no retry can fix.
    case failed(error: String)
    /// To the dead-letter queue.
    case dead(error: String)
}
