import GatewayCore
import GatewayWire

/// Enqueue and GetJob on the Gateway service and the queue's Admin methods (GetQueueStats and the dead letters),
/// over a `QueueStore`.
struct QueueHandlers: Sendable {
    /// The largest CompleteRequest a job may carry.
    static let maxPayloadBytes = 1 << 20
    /// The longest GetJob waits for a job to end.
    static let maxWaitMillis: UInt64 = 60_000
    static let maxIdempotencyKeyBytes = 256
    static let maxListLimit: UInt32 = 1_000
    static let maxIDsPerCall = 1_000

    let store: any QueueStore
    let settings: ServerConfig.Queue
    /// Times GetJob's wait.
    let clock: any GatewayClock
    /// Woken after an enqueue so an idle instance starts the job at once; nil when this instance runs no workers.
    let worker: QueueWorker?
    /// Counts jobs queued, by priority; nil when metrics are off.
    var metrics: GatewayMetrics? = nil

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Gateway.enqueue) { request, _ in try await enqueue(request) }
        router.unary(Aigw_V1_Gateway.getJob) { request, _ in try await getJob(request) }
        router.unary(Aigw_V1_Admin.getQueueStats) { _, _ in try await stats() }
        router.unary(Aigw_V1_Admin.listDeadLetters) { request, _ in
            let limit = Int(request.limit == 0 ? 100 : min(request.limit, Self.maxListLimit))
            if !request.afterJobId.isEmpty { try Self.validateID(request.afterJobId) }
            let jobs = try await store.deadLetters(limit: limit, afterID: request.afterJobId)
            var response = Aigw_V1_ListDeadLettersResponse()
            response.jobs = jobs.map { WireMapping.job($0, withResult: false) }
            response.nextAfterJobId = jobs.count == limit ? jobs.last?.id ?? "" : ""
            return response
        }
        router.unary(Aigw_V1_Admin.retryDeadLetters) { request, _ in
            try Self.validateIDs(request.jobIds)
            var response = Aigw_V1_RetryDeadLettersResponse()
            response.retried = UInt32(try await store.retryDeadLetters(ids: request.jobIds))
            if response.retried > 0 { worker?.nudge() }
            return response
        }
        router.unary(Aigw_V1_Admin.purgeDeadLetters) { request, _ in
            try Self.validateIDs(request.jobIds)
            var response = Aigw_V1_PurgeDeadLettersResponse()
            response.purged = UInt32(try await store.purgeDeadLetters(ids: request.jobIds))
            return response
        }
    }

    func enqueue(_ request: Aigw_V1_EnqueueRequest) async throws -> Aigw_V1_EnqueueResponse {
        guard let complete = request.request else {
            throw GatewayError(.invalidArgument, "request is required", reason: "missing_request")
        }
        // The same checks Complete makes before any upstream call, so a job that can never run is refused now.
        let neutral = try WireMapping.completionRequest(complete, requestID: complete.requestId)
        if neutral.model.isEmpty {
            throw GatewayError(.invalidArgument, "model is required", reason: "missing_model")
        }
        if neutral.messages.isEmpty {
            throw GatewayError(.invalidArgument, "at least one message is required", reason: "missing_messages")
        }
        guard request.maxAttempts <= 100 else {
            throw GatewayError(.invalidArgument, "max_attempts is at most 100", reason: "invalid_max_attempts")
        }
        guard request.timeoutMs <= 3_600_000 else {
            throw GatewayError(.invalidArgument, "timeout_ms is at most 3600000", reason: "invalid_timeout")
        }
        guard request.idempotencyKey.utf8.count <= Self.maxIdempotencyKeyBytes else {
            throw GatewayError(.invalidArgument, "idempotency_key is at most \(Self.maxIdempotencyKeyBytes) bytes",
                               reason: "invalid_idempotency_key")
        }
        let payload = complete.serializedBytes()
        guard payload.count <= Self.maxPayloadBytes else {
            throw GatewayError(.invalidArgument, "the request is \(payload.count) bytes; a job carries at most "
                               + "\(Self.maxPayloadBytes)", reason: "payload_too_large")
        }
        let submission = JobSubmission(
            priority: try WireMapping.priority(request.priority),
            maxAttempts: request.maxAttempts == 0 ? settings.maxAttempts : Int(request.maxAttempts),
            timeoutMillis: request.timeoutMs == 0 ? Int64(settings.timeoutMillis) : Int64(request.timeoutMs),
            payload: payload, idempotencyKey: request.idempotencyKey, userID: neutral.userID, orgID: neutral.orgID)
        let (job, duplicate) = try await store.enqueue(submission)
        if !duplicate {
            worker?.nudge()
            metrics?.queueEnqueued(priority: job.priority.rawValue)
        }
        var response = Aigw_V1_EnqueueResponse()
        response.jobId = job.id
        response.state = WireMapping.jobState(job.state)
        response.duplicate = duplicate
        return response
    }

    /// Reads the job; with `wait_ms`, polls until it ends or the wait (capped at `maxWaitMillis`) is over, and then
    /// answers with its state at that moment. A call deadline or Cancel ends the wait like any call.
    func getJob(_ request: Aigw_V1_GetJobRequest) async throws -> Aigw_V1_GetJobResponse {
        try Self.validateID(request.jobId)
        let waitNanos = min(request.waitMs, Self.maxWaitMillis) * 1_000_000
        let started = clock.monotonicNanos()
        var pause: UInt64 = 5_000_000
        while true {
            guard let job = try await store.job(id: request.jobId) else {
                throw GatewayError(.notFound, "no job '\(request.jobId)' (never enqueued, or its result expired)",
                                   reason: "job_not_found")
            }
            let waited = clock.monotonicNanos() &- started
            if job.state.isTerminal || waited >= waitNanos {
                var response = Aigw_V1_GetJobResponse()
                response.job = WireMapping.job(job, withResult: true)
                return response
            }
            try await Task.sleep(for: .nanoseconds(Int64(min(pause, waitNanos - waited))))
            pause = min(pause * 2, 100_000_000)
        }
    }

    func stats() async throws -> Aigw_V1_GetQueueStatsResponse {
        let stats = try await store.stats()
        var response = Aigw_V1_GetQueueStatsResponse()
        for priority in JobPriority.allCases {
            let c = stats[priority]
            var depth = Aigw_V1_PriorityDepth()
            depth.priority = WireMapping.priority(priority)
            depth.depth = UInt64(max(c.queued, 0))
            response.queued.append(depth)
            response.priorities.append(Self.wire(priority, c))
        }
        let total = stats.total
        response.running = UInt64(max(total.running, 0))
        response.succeeded = UInt64(max(total.succeeded, 0))
        response.failed = UInt64(max(total.failed, 0))
        response.retried = UInt64(max(total.retried, 0))
        response.dead = UInt64(max(total.dead, 0))
        response.averageProcessingMs = UInt64(max(total.averageProcessingMillis, 0))
        response.successRate = total.successRate
        response.failureRate = total.failureRate
        response.workers = UInt32(worker == nil ? 0 : settings.workers)
        return response
    }

    private static func wire(_ priority: JobPriority, _ c: QueueStats.Counts) -> Aigw_V1_PriorityQueueStats {
        var s = Aigw_V1_PriorityQueueStats()
        s.priority = WireMapping.priority(priority)
        s.queued = UInt64(max(c.queued, 0))
        s.running = UInt64(max(c.running, 0))
        s.succeeded = UInt64(max(c.succeeded, 0))
        s.failed = UInt64(max(c.failed, 0))
        s.dead = UInt64(max(c.dead, 0))
        s.retried = UInt64(max(c.retried, 0))
        s.averageProcessingMs = UInt64(max(c.averageProcessingMillis, 0))
        s.successRate = c.successRate
        s.failureRate = c.failureRate
        return s
    }

    /// Job ids are what the stores make: `job_` and lowercase hex. Anything else cannot name a job.
    static func validateID(_ id: String) throws {
        guard id.hasPrefix("job_"), id.utf8.count <= 64,
            id.utf8.dropFirst(4).allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            id.utf8.count > 4
        else {
            throw GatewayError(.invalidArgument, "'\(id.prefix(64))' is not a job id", reason: "invalid_job_id")
        }
    }

    static func validateIDs(_ ids: [String]) throws {
        guard ids.count <= maxIDsPerCall else {
            throw GatewayError(.invalidArgument, "at most \(maxIDsPerCall) job ids per call", reason: "too_many_job_ids")
        }
        for id in ids { try validateID(id) }
    }
}
