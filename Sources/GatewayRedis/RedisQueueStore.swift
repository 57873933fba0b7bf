import GatewayCore

/// The request queue in Redis: durable, shared by every instance, processed at least once.
///
/// Every transition is one Lua script, so two instances never see a half-made move, and every timestamp and lease
/// deadline comes from Redis `TIME`, so instances need no clock agreement. A claim leases its jobs; a job whose
/// worker died (kill -9) is put back at its old place by the next claim of any instance once its lease deadline has
/// passed. Each claim increments the job's token; a finish or renewal with an older token (a worker that lost its
/// lease) is refused, so it cannot overwrite the result of the claim that replaced it.
///
/// Layout, under the key prefix (`aigw:queue:` by default). Scripts build key names from the prefix, so the queue
/// needs one Redis (or one cluster slot), not a cluster spread.
/// - `seq`: the id counter. Ids are `job_` + 16 hex digits of it + a random suffix, so ids sort in enqueue order.
/// - `job:<id>`: a hash per job (`prio` is the priority's rank). Succeeded and failed jobs expire after the result
///   TTL; others do not expire.
/// - `ready` (score = order score), `delayed` (score = due time), `active` (score = lease deadline), `dead` (score =
///   when it died): sorted sets of job ids.
/// - `idem:<key>`: idempotency key → job id, expiring with its job.
/// - `counts`: current `<rank>:queued|running|dead`; `stats`: cumulative `<rank>:succeeded|failed|dead_total|
///   retried|runs|proc_ms`.
///
/// Redis must not evict these keys: run it with `maxmemory-policy noeviction` (see docs/operations.md).
public final class RedisQueueStore: QueueStore {
    public struct Settings: Sendable, Hashable {
        public var keyPrefix = "aigw:queue:"
        public var agingStepMillis: Int64 = 60_000
        /// Queued, running and dead jobs held at most; enqueue answers RESOURCE_EXHAUSTED beyond.
        public var maxJobs: Int = 1_000_000

        public init(keyPrefix: String = "aigw:queue:", agingStepMillis: Int64 = 60_000, maxJobs: Int = 1_000_000) {
            self.keyPrefix = keyPrefix
            self.agingStepMillis = agingStepMillis
            self.maxJobs = maxJobs
        }
    }

    private let client: RedisClient
    private let settings: Settings
    private var prefix: String { settings.keyPrefix }

    public init(client: RedisClient, settings: Settings = Settings()) {
        self.client = client
        self.settings = settings
    }

    public func enqueue(_ submission: JobSubmission) async throws -> (job: QueueJob, duplicate: Bool) {
        var arguments = RedisArguments([prefix, submission.idempotencyKey, RandomID.hex(bytes: 4)])
        arguments.append(Int64(submission.priority.rank))
        arguments.append(settings.agingStepMillis)
        arguments.append(Int64(submission.maxAttempts))
        arguments.append(submission.timeoutMillis)
        arguments.append(bytes: submission.payload)
        arguments.append(submission.userID)
        arguments.append(submission.orgID)
        arguments.append(Int64(settings.maxJobs))
        let reply = try await evaluate(Self.enqueueScript, arguments)
        guard let values = reply.array, values.count == 3, let id = values[0].string, let flag = values[1].integer,
            let now = values[2].integer
        else { throw reply.unexpected("queue enqueue") }
        if flag < 0 { throw GatewayError.queueFull(maxJobs: settings.maxJobs) }
        if flag == 1 {
            if let existing = try await job(id: id) { return (existing, true) }
            throw GatewayError(.unavailable, "the job of this idempotency key just expired; enqueue again",
                               reason: "queue_conflict")
        }
        let job = QueueJob(
            id: id, priority: submission.priority, maxAttempts: submission.maxAttempts,
            timeoutMillis: submission.timeoutMillis, payload: submission.payload,
            idempotencyKey: submission.idempotencyKey, userID: submission.userID, orgID: submission.orgID,
            createdAtMillis: now, updatedAtMillis: now)
        return (job, false)
    }

    public func job(id: String) async throws -> QueueJob? {
        let reply = try await RedisError.mapped {
            try await client.send(["HMGET", prefix + "job:" + id] + Self.rowFields + ["pl", "res"])
        }
        guard let values = reply.array else { throw reply.unexpected("queue job") }
        if values.first == .null { return nil }
        return try Self.job(id: id, values)
    }

    public func claim(max: Int, leaseMillis: Int64) async throws -> [JobClaim] {
        var arguments = RedisArguments([prefix])
        arguments.append(Int64(max))
        arguments.append(leaseMillis)
        let reply = try await evaluate(Self.claimScript, arguments)
        guard let rows = reply.array else { throw reply.unexpected("queue claim") }
        return try rows.map { row in
            guard let values = row.array, values.count == 2 + Self.rowFields.count + 2, let id = values[0].string,
                let token = values[1].int64
            else { throw reply.unexpected("queue claim") }
            return JobClaim(job: try Self.job(id: id, Array(values[2...])), token: token)
        }
    }

    public func renew(_ claims: [JobClaim], leaseMillis: Int64) async throws -> [Bool] {
        guard !claims.isEmpty else { return [] }
        var arguments = RedisArguments([prefix])
        arguments.append(leaseMillis)
        for claim in claims {
            arguments.append(claim.job.id)
            arguments.append(claim.token)
        }
        let reply = try await evaluate(Self.renewScript, arguments)
        guard let values = reply.array, values.count == claims.count else { throw reply.unexpected("queue renew") }
        return values.map { $0.integer == 1 }
    }

    public func finish(_ claim: JobClaim, _ finish: JobFinish, processingMillis: Int64, resultTTLMillis: Int64)
        async throws -> Bool
    {
        let kind: String
        var error = ""
        var result: [UInt8] = []
        var delay: Int64 = 0
        switch finish {
        case .succeeded(let bytes):
            kind = "succeeded"
            result = bytes
        case .failed(let e):
            kind = "failed"
            error = e
        case .dead(let e):
            kind = "dead"
            error = e
        case .retry(let e, let d):
            kind = "retry"
            error = e
            delay = d
        case .wait(let e, let d):
            kind = "wait"
            error = e
            delay = d
        }
        var arguments = RedisArguments([prefix, claim.job.id])
        arguments.append(claim.token)
        arguments.append(kind)
        arguments.append(error)
        arguments.append(bytes: result)
        arguments.append(max(delay, 0))
        arguments.append(max(processingMillis, 0))
        arguments.append(max(resultTTLMillis, 1))
        arguments.append(settings.agingStepMillis)
        let reply = try await evaluate(Self.finishScript, arguments)
        guard let done = reply.integer else { throw reply.unexpected("queue finish") }
        return done == 1
    }

    public func stats() async throws -> QueueStats {
        async let countsReply = RedisError.mapped { try await client.send(["HGETALL", prefix + "counts"]) }
        async let statsReply = RedisError.mapped { try await client.send(["HGETALL", prefix + "stats"]) }
        var byPriority: [JobPriority: QueueStats.Counts] = [:]
        for reply in [try await countsReply, try await statsReply] {
            guard let flat = reply.array else { throw reply.unexpected("queue stats") }
            var i = 0
            while i + 1 < flat.count {
                defer { i += 2 }
                guard let field = flat[i].string, let value = flat[i + 1].int64 else { continue }
                let parts = field.split(separator: ":")
                guard parts.count == 2, let rank = Int(parts[0]), let priority = JobPriority(rank: rank) else { continue }
                var c = byPriority[priority] ?? QueueStats.Counts()
                switch parts[1] {
                case "queued": c.queued = value
                case "running": c.running = value
                case "dead": c.dead = value
                case "succeeded": c.succeeded = value
                case "failed": c.failed = value
                case "dead_total": c.deadTotal = value
                case "retried": c.retried = value
                case "runs": c.runs = value
                case "proc_ms": c.processingMillis = value
                default: break
                }
                byPriority[priority] = c
            }
        }
        return QueueStats(byPriority: byPriority)
    }

    public func deadLetters(limit: Int, afterID: String) async throws -> [QueueJob] {
        var arguments = RedisArguments([prefix, afterID])
        arguments.append(Int64(max(limit, 1)))
        let reply = try await evaluate(Self.deadListScript, arguments)
        guard let rows = reply.array else { throw reply.unexpected("queue dead letters") }
        return try rows.map { row in
            guard let values = row.array, values.count == 1 + Self.rowFields.count, let id = values[0].string else {
                throw reply.unexpected("queue dead letters")
            }
            return try Self.job(id: id, Array(values[1...]))
        }
    }

    public func retryDeadLetters(ids: [String]) async throws -> Int {
        var arguments = RedisArguments([prefix])
        arguments.append(settings.agingStepMillis)
        arguments.append(Int64(QueueStats.maxBatch))
        for id in ids { arguments.append(id) }
        let reply = try await evaluate(Self.deadRetryScript, arguments)
        guard let n = reply.integer else { throw reply.unexpected("queue dead letter retry") }
        return Int(n)
    }

    public func purgeDeadLetters(ids: [String]) async throws -> Int {
        var arguments = RedisArguments([prefix])
        arguments.append(Int64(QueueStats.maxBatch))
        for id in ids { arguments.append(id) }
        let reply = try await evaluate(Self.deadPurgeScript, arguments)
        guard let n = reply.integer else { throw reply.unexpected("queue dead letter purge") }
        return Int(n)
    }

    // MARK: Internals

    /// Every script takes the key prefix as its one key.
    private func evaluate(_ script: RedisScript, _ arguments: RedisArguments) async throws -> RedisValue {
        try await RedisError.mapped {
            try await withUnsafeThrowingContinuation { continuation in
                client.evaluate(script, keyCount: 1, arguments: arguments) {
                    continuation.resume(with: $0.mapError { $0 })
                }
            }
        }
    }

    /// The hash fields a job is read from, in the order the scripts return them (`pl` and `res` follow when asked).
    static let rowFields = ["prio", "state", "att", "max", "tmo", "idem", "user", "org", "err", "created", "updated"]

    private static func job(id: String, _ v: [RedisValue]) throws -> QueueJob {
        guard v.count >= rowFields.count, let rank = v[0].int64, let priority = JobPriority(rank: Int(rank)),
            let stateName = v[1].string, let state = JobState(rawValue: stateName)
        else {
            throw GatewayError(.internalError, "unreadable queue job \(id) in Redis", reason: "redis_error")
        }
        return QueueJob(
            id: id, priority: priority, state: state, attempts: Int(v[2].int64 ?? 0),
            maxAttempts: Int(v[3].int64 ?? 0), timeoutMillis: v[4].int64 ?? 0,
            payload: v.count > rowFields.count ? v[rowFields.count].bytes : [],
            idempotencyKey: v[5].string ?? "", userID: v[6].string ?? "", orgID: v[7].string ?? "",
            lastError: v[8].string ?? "",
            result: v.count > rowFields.count + 1 ? v[rowFields.count + 1].bytes : [],
            createdAtMillis: v[9].int64 ?? 0, updatedAtMillis: v[10].int64 ?? 0)
    }

    // MARK: Scripts

    /// Shared Lua: `now` from Redis TIME, and a job's row in `rowFields` order.
    private static let prelude = #"""
        local p = KEYS[1]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function row(id, extra)
          local f = redis.call('HMGET', p .. 'job:' .. id, 'prio', 'state', 'att', 'max', 'tmo', 'idem', 'user', 'org',
            'err', 'created', 'updated', unpack(extra))
          return f
        end
        local function count(prio, field, n)
          redis.call('HINCRBY', p .. 'counts', prio .. ':' .. field, n)
        end
        local function stat(prio, field, n)
          redis.call('HINCRBY', p .. 'stats', prio .. ':' .. field, n)
        end
        -- The dead jobs a retry or purge acts on: ARGV[first...] when given, else the oldest `batch`.
        local function deadIDs(first, batch)
          if #ARGV < first then return redis.call('ZRANGE', p .. 'dead', 0, tonumber(batch) - 1) end
          local ids = {}
          for i = first, #ARGV do ids[#ids + 1] = ARGV[i] end
          return ids
        end

        """#

    /// ARGV: idempotency key, id suffix, rank, aging step, max attempts, timeout, payload, user, org, max jobs.
    /// Returns {id, 0 new | 1 duplicate | -1 full, now}.
    static let enqueueScript = RedisScript(prelude + #"""
        if ARGV[1] ~= '' then
          local existing = redis.call('GET', p .. 'idem:' .. ARGV[1])
          if existing and redis.call('EXISTS', p .. 'job:' .. existing) == 1 then return {existing, 1, now} end
        end
        local held = 0
        for _, v in ipairs(redis.call('HVALS', p .. 'counts')) do held = held + tonumber(v) end
        if held >= tonumber(ARGV[10]) then return {'', -1, now} end
        local seq = redis.call('INCR', p .. 'seq')
        local id = 'job_' .. string.format('%016x', seq) .. ARGV[2]
        local score = now + tonumber(ARGV[3]) * tonumber(ARGV[4])
        redis.call('HSET', p .. 'job:' .. id, 'prio', ARGV[3], 'state', 'queued', 'att', 0, 'max', ARGV[5],
          'tmo', ARGV[6], 'pl', ARGV[7], 'idem', ARGV[1], 'user', ARGV[8], 'org', ARGV[9], 'err', '',
          'created', now, 'updated', now, 'score', string.format('%d', score), 'tok', 0)
        redis.call('ZADD', p .. 'ready', score, id)
        count(ARGV[3], 'queued', 1)
        if ARGV[1] ~= '' then redis.call('SET', p .. 'idem:' .. ARGV[1], id) end
        return {id, 0, now}
        """#)

    /// ARGV: max, lease ms. Moves due retries to `ready`, requeues expired leases (or buries them after the last
    /// attempt), then pops up to max jobs. Returns one {id, token, row..., payload, ''} per claimed job.
    static let claimScript = RedisScript(prelude + #"""
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
          redis.call('ZREM', p .. 'delayed', id)
          local k = p .. 'job:' .. id
          local score = redis.call('HGET', k, 'score')
          if score then
            redis.call('HSET', k, 'state', 'queued')
            redis.call('ZADD', p .. 'ready', score, id)
          end
        end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'active', '-inf', now, 'LIMIT', 0, 1000)) do
          redis.call('ZREM', p .. 'active', id)
          local k = p .. 'job:' .. id
          local f = redis.call('HMGET', k, 'prio', 'att', 'max', 'score')
          if f[1] then
            count(f[1], 'running', -1)
            if tonumber(f[2]) >= tonumber(f[3]) then
              redis.call('HSET', k, 'state', 'dead', 'err', "the worker's lease expired during the last attempt",
                'updated', now)
              redis.call('ZADD', p .. 'dead', now, id)
              count(f[1], 'dead', 1)
              stat(f[1], 'dead_total', 1)
            else
              redis.call('HSET', k, 'state', 'queued', 'err', "the worker's lease expired; requeued", 'updated', now)
              redis.call('ZADD', p .. 'ready', f[4], id)
              count(f[1], 'queued', 1)
            end
          end
        end
        local popped = redis.call('ZPOPMIN', p .. 'ready', tonumber(ARGV[1]))
        local out = {}
        for i = 1, #popped, 2 do
          local id = popped[i]
          local k = p .. 'job:' .. id
          if redis.call('EXISTS', k) == 1 then
            redis.call('HINCRBY', k, 'att', 1)
            local tok = redis.call('HINCRBY', k, 'tok', 1)
            redis.call('HSET', k, 'state', 'running', 'updated', now)
            redis.call('ZADD', p .. 'active', now + tonumber(ARGV[2]), id)
            local f = row(id, {'pl'})
            count(f[1], 'queued', -1)
            count(f[1], 'running', 1)
            local r = {id, tok}
            for j = 1, #f do r[#r + 1] = f[j] end
            r[#r + 1] = ''
            out[#out + 1] = r
          end
        end
        return out
        """#)

    /// ARGV: lease ms, then (id, token) pairs. Returns 1 or 0 per pair: whether the lease was still held.
    static let renewScript = RedisScript(prelude + #"""
        local out = {}
        for i = 2, #ARGV, 2 do
          local id = ARGV[i]
          local f = redis.call('HMGET', p .. 'job:' .. id, 'tok', 'state')
          local deadline = redis.call('ZSCORE', p .. 'active', id)
          if f[1] == ARGV[i + 1] and f[2] == 'running' and deadline and tonumber(deadline) > now then
            redis.call('ZADD', p .. 'active', now + tonumber(ARGV[1]), id)
            out[#out + 1] = 1
          else
            out[#out + 1] = 0
          end
        end
        return out
        """#)

    /// ARGV: id, token, kind (succeeded|failed|dead|retry|wait), error, result, delay ms, processing ms, result TTL
    /// ms, aging step. Returns 1, or 0 when the claim was no longer held (nothing changes).
    static let finishScript = RedisScript(prelude + #"""
        local id = ARGV[1]
        local k = p .. 'job:' .. id
        local f = redis.call('HMGET', k, 'tok', 'state', 'prio', 'idem', 'score')
        if f[1] ~= ARGV[2] or f[2] ~= 'running' then return 0 end
        if redis.call('ZREM', p .. 'active', id) == 0 then return 0 end
        local prio, kind = f[3], ARGV[3]
        count(prio, 'running', -1)
        if kind ~= 'wait' then
          stat(prio, 'runs', 1)
          stat(prio, 'proc_ms', tonumber(ARGV[7]))
        end
        if kind == 'succeeded' or kind == 'failed' then
          if kind == 'succeeded' then
            redis.call('HSET', k, 'state', 'succeeded', 'res', ARGV[5], 'err', '', 'updated', now)
          else
            redis.call('HSET', k, 'state', 'failed', 'err', ARGV[4], 'updated', now)
          end
          redis.call('HDEL', k, 'pl')
          redis.call('PEXPIRE', k, tonumber(ARGV[8]))
          if f[4] and f[4] ~= '' then redis.call('PEXPIRE', p .. 'idem:' .. f[4], tonumber(ARGV[8])) end
          stat(prio, kind, 1)
        elseif kind == 'dead' then
          redis.call('HSET', k, 'state', 'dead', 'err', ARGV[4], 'updated', now)
          redis.call('ZADD', p .. 'dead', now, id)
          count(prio, 'dead', 1)
          stat(prio, 'dead_total', 1)
        elseif kind == 'retry' then
          local due = now + tonumber(ARGV[6])
          redis.call('HSET', k, 'state', 'retrying', 'err', ARGV[4], 'updated', now,
            'score', string.format('%d', due + tonumber(prio) * tonumber(ARGV[9])))
          redis.call('ZADD', p .. 'delayed', due, id)
          count(prio, 'queued', 1)
          stat(prio, 'retried', 1)
        else
          redis.call('HINCRBY', k, 'att', -1)
          redis.call('HSET', k, 'state', 'queued', 'updated', now)
          if ARGV[4] ~= '' then redis.call('HSET', k, 'err', ARGV[4]) end
          count(prio, 'queued', 1)
          local delay = tonumber(ARGV[6])
          if delay <= 0 then
            redis.call('ZADD', p .. 'ready', f[5], id)
          else
            redis.call('ZADD', p .. 'delayed', now + delay, id)
          end
        end
        return 1
        """#)

    /// ARGV: after id (empty for the start), limit. Returns {id, row...} per dead job, in the order they died.
    static let deadListScript = RedisScript(prelude + #"""
        local start = 0
        if ARGV[1] ~= '' then
          local r = redis.call('ZRANK', p .. 'dead', ARGV[1])
          if r then start = r + 1 end
        end
        local out = {}
        for _, id in ipairs(redis.call('ZRANGE', p .. 'dead', start, start + tonumber(ARGV[2]) - 1)) do
          local f = row(id, {})
          if f[1] then
            local r = {id}
            for j = 1, #f do r[#r + 1] = f[j] end
            out[#out + 1] = r
          end
        end
        return out
        """#)

    /// ARGV: aging step, batch, then ids (none: the oldest `batch` dead jobs). Returns how many were requeued.
    static let deadRetryScript = RedisScript(prelude + #"""
        local ids = deadIDs(3, ARGV[2])
        local n = 0
        for _, id in ipairs(ids) do
          if redis.call('ZREM', p .. 'dead', id) == 1 then
            local k = p .. 'job:' .. id
            local prio = redis.call('HGET', k, 'prio')
            if prio then
              local score = now + tonumber(prio) * tonumber(ARGV[1])
              redis.call('HSET', k, 'state', 'queued', 'att', 0, 'updated', now, 'score', string.format('%d', score))
              redis.call('ZADD', p .. 'ready', score, id)
              count(prio, 'dead', -1)
              count(prio, 'queued', 1)
              n = n + 1
            end
          end
        end
        return n
        """#)

    /// ARGV: batch, then ids (none: the oldest `batch` dead jobs). Returns how many were deleted.
    static let deadPurgeScript = RedisScript(prelude + #"""
        local ids = deadIDs(2, ARGV[1])
        local n = 0
        for _, id in ipairs(ids) do
          if redis.call('ZREM', p .. 'dead', id) == 1 then
            local k = p .. 'job:' .. id
            local f = redis.call('HMGET', k, 'prio', 'idem')
            if f[2] and f[2] ~= '' and redis.call('GET', p .. 'idem:' .. f[2]) == id then
              redis.call('DEL', p .. 'idem:' .. f[2])
            end
            redis.call('DEL', k)
            if f[1] then count(f[1], 'dead', -1) end
            n = n + 1
          end
        end
        return n
        """#)
}

extension RedisValue {
    /// An integer reply, or a bulk string of digits (hash fields come back as text).
    var int64: Int64? {
        switch self {
        case .integer(let n): n
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    var bytes: [UInt8] {
        if case .bulk(let b) = self { return b }
        return []
    }
}
