import Synchronization

/// The request queue in this process's memory, for the embedded default (no Redis).
///
/// It behaves like `RedisQueueStore` (same ordering, leases, tokens, dead letters and counters) with time from the
/// injected clock, but **its jobs are lost when the process exits**: queued, running and dead jobs and kept results
/// alike. Use Redis for work that must survive a restart. Memory is bounded by `maxJobs` (queued, running and dead
/// jobs) and by the result TTL for finished ones.
public final class MemoryQueueStore: QueueStore {
    public struct Settings: Sendable, Hashable {
        public var agingStepMillis: Int64 = 60_000
        /// Queued, running and dead jobs held at most; enqueue answers RESOURCE_EXHAUSTED beyond.
        public var maxJobs: Int = 100_000

        public init(agingStepMillis: Int64 = 60_000, maxJobs: Int = 100_000) {
            self.agingStepMillis = agingStepMillis
            self.maxJobs = maxJobs
        }
    }

    private struct Entry {
        var job: QueueJob
        /// The ordering score while queued.
        var score: Int64
        var token: Int64 = 0
        var expiresAt: Int64?
    }

    private struct ReadyKey: Comparable {
        var score: Int64
        var id: String
        static func < (a: ReadyKey, b: ReadyKey) -> Bool { (a.score, a.id) < (b.score, b.id) }
    }

    private struct State {
        var jobs: [String: Entry] = [:]
        var ready: [ReadyKey] = []
        /// id → when it becomes runnable again.
        var delayed: [String: Int64] = [:]
        /// id → lease deadline.
        var active: [String: Int64] = [:]
        /// In the order they died.
        var dead: [String] = []
        var idempotency: [String: String] = [:]
        /// (expiry, id) in expiry order: finished jobs to forget.
        var expiring: [(Int64, String)] = []
        var counts: [JobPriority: QueueStats.Counts] = [:]
        var sequence: UInt64 = 0
    }

    private let clock: any GatewayClock
    private let settings: Settings
    private let state = Mutex(State())

    public init(clock: any GatewayClock, settings: Settings = Settings()) {
        self.clock = clock
        self.settings = settings
    }

    public func enqueue(_ submission: JobSubmission) async throws -> (job: QueueJob, duplicate: Bool) {
        let now = clock.unixMillis()
        return try state.withLock { s in
            Self.sweep(&s, now: now)
            if !submission.idempotencyKey.isEmpty, let id = s.idempotency[submission.idempotencyKey],
                let existing = s.jobs[id]
            {
                return (existing.job, true)
            }
            let held = s.counts.values.reduce(Int64(0)) { $0 + $1.queued + $1.running + $1.dead }
            guard held < Int64(settings.maxJobs) else {
                throw GatewayError.queueFull(maxJobs: settings.maxJobs)
            }
            s.sequence += 1
            let id = Self.jobID(sequence: s.sequence, suffix: RandomID.hex(bytes: 4))
            let job = QueueJob(
                id: id, priority: submission.priority, maxAttempts: submission.maxAttempts,
                timeoutMillis: submission.timeoutMillis, payload: submission.payload,
                idempotencyKey: submission.idempotencyKey, userID: submission.userID, orgID: submission.orgID,
                createdAtMillis: now, updatedAtMillis: now)
            let score = submission.priority.score(at: now, agingStepMillis: settings.agingStepMillis)
            s.jobs[id] = Entry(job: job, score: score)
            Self.insertReady(&s, ReadyKey(score: score, id: id))
            s.counts[job.priority, default: .init()].queued += 1
            if !submission.idempotencyKey.isEmpty { s.idempotency[submission.idempotencyKey] = id }
            return (job, false)
        }
    }

    public func job(id: String) async throws -> QueueJob? {
        let now = clock.unixMillis()
        return state.withLock { s in
            guard let entry = s.jobs[id] else { return nil }
            if let expires = entry.expiresAt, expires <= now { return nil }
            return entry.job
        }
    }

    public func claim(max: Int, leaseMillis: Int64) async throws -> [JobClaim] {
        let now = clock.unixMillis()
        return state.withLock { s in
            Self.sweep(&s, now: now)
            for (id, due) in s.delayed where due <= now {
                s.delayed[id] = nil
                guard var entry = s.jobs[id] else { continue }
                entry.job.state = .queued
                s.jobs[id] = entry
                Self.insertReady(&s, ReadyKey(score: entry.score, id: id))
            }
            for (id, deadline) in s.active where deadline <= now {
                s.active[id] = nil
                guard var entry = s.jobs[id] else { continue }
                let p = entry.job.priority
                s.counts[p, default: .init()].running -= 1
                entry.job.updatedAtMillis = now
                if entry.job.attempts >= entry.job.maxAttempts {
                    entry.job.state = .dead
                    entry.job.lastError = "the worker's lease expired during the last attempt"
                    s.jobs[id] = entry
                    s.dead.append(id)
                    s.counts[p, default: .init()].dead += 1
                    s.counts[p, default: .init()].deadTotal += 1
                } else {
                    entry.job.state = .queued
                    entry.job.lastError = "the worker's lease expired; requeued"
                    s.jobs[id] = entry
                    Self.insertReady(&s, ReadyKey(score: entry.score, id: id))
                    s.counts[p, default: .init()].queued += 1
                }
            }
            let n = min(max, s.ready.count)
            guard n > 0 else { return [] }
            let taken = s.ready.prefix(n)
            s.ready.removeFirst(n)
            var claims: [JobClaim] = []
            claims.reserveCapacity(n)
            for key in taken {
                guard var entry = s.jobs[key.id] else { continue }
                assert(entry.job.state.canMove(to: .running), "claimed a \(entry.job.state) job")
                entry.job.state = .running
                entry.job.attempts += 1
                entry.job.updatedAtMillis = now
                entry.token += 1
                s.jobs[key.id] = entry
                s.active[key.id] = now + leaseMillis
                s.counts[entry.job.priority, default: .init()].queued -= 1
                s.counts[entry.job.priority, default: .init()].running += 1
                claims.append(JobClaim(job: entry.job, token: entry.token))
            }
            return claims
        }
    }

    public func renew(_ claims: [JobClaim], leaseMillis: Int64) async throws -> [Bool] {
        let now = clock.unixMillis()
        return state.withLock { s in
            claims.map { claim in
                guard let entry = s.jobs[claim.job.id], entry.token == claim.token, entry.job.state == .running,
                    let deadline = s.active[claim.job.id], deadline > now
                else { return false }
                s.active[claim.job.id] = now + leaseMillis
                return true
            }
        }
    }

    public func finish(_ claim: JobClaim, _ finish: JobFinish, processingMillis: Int64, resultTTLMillis: Int64)
        async throws -> Bool
    {
        let now = clock.unixMillis()
        let step = settings.agingStepMillis
        return state.withLock { s in
            let id = claim.job.id
            guard var entry = s.jobs[id], entry.token == claim.token, entry.job.state == .running,
                s.active[id] != nil
            else { return false }
            s.active[id] = nil
            let p = entry.job.priority
            s.counts[p, default: .init()].running -= 1
            entry.job.updatedAtMillis = now
            if case .wait = finish {} else {
                s.counts[p, default: .init()].runs += 1
                s.counts[p, default: .init()].processingMillis += max(processingMillis, 0)
            }
            switch finish {
            case .succeeded(let result):
                entry.job.state = .succeeded
                entry.job.result = result
                entry.job.payload = []
                entry.job.lastError = ""
                entry.expiresAt = now + resultTTLMillis
                s.expiring.append((now + resultTTLMillis, id))
                s.counts[p, default: .init()].succeeded += 1
            case .failed(let error):
                entry.job.state = .failed
                entry.job.payload = []
                entry.job.lastError = error
                entry.expiresAt = now + resultTTLMillis
                s.expiring.append((now + resultTTLMillis, id))
                s.counts[p, default: .init()].failed += 1
            case .dead(let error):
                entry.job.state = .dead
                entry.job.lastError = error
                s.dead.append(id)
                s.counts[p, default: .init()].dead += 1
                s.counts[p, default: .init()].deadTotal += 1
            case .retry(let error, let delay):
                entry.job.state = .retrying
                entry.job.lastError = error
                entry.score = p.score(at: now + delay, agingStepMillis: step)
                s.delayed[id] = now + delay
                s.counts[p, default: .init()].queued += 1
                s.counts[p, default: .init()].retried += 1
            case .wait(let error, let delay):
                entry.job.state = .queued
                entry.job.attempts = max(entry.job.attempts - 1, 0)
                if !error.isEmpty { entry.job.lastError = error }
                s.counts[p, default: .init()].queued += 1
                if delay <= 0 {
                    Self.insertReady(&s, ReadyKey(score: entry.score, id: id))
                } else {
                    s.delayed[id] = now + delay
                }
            }
            assert(JobState.running.canMove(to: entry.job.state))
            s.jobs[id] = entry
            return true
        }
    }

    public func stats() async throws -> QueueStats {
        QueueStats(byPriority: state.withLock { $0.counts })
    }

    public func deadLetters(limit: Int, afterID: String) async throws -> [QueueJob] {
        state.withLock { s in
            var start = 0
            if !afterID.isEmpty, let i = s.dead.firstIndex(of: afterID) { start = i + 1 }
            return s.dead[start...].prefix(limit).compactMap { s.jobs[$0]?.job }
        }
    }

    public func retryDeadLetters(ids: [String]) async throws -> Int {
        let now = clock.unixMillis()
        let step = settings.agingStepMillis
        return state.withLock { s in
            let chosen = ids.isEmpty ? Array(s.dead.prefix(QueueStats.maxBatch)) : ids
            let wanted = Set(chosen)
            var moved = 0
            var kept: [String] = []
            kept.reserveCapacity(s.dead.count)
            for id in s.dead {
                guard wanted.contains(id), var entry = s.jobs[id], entry.job.state == .dead else {
                    kept.append(id)
                    continue
                }
                entry.job.state = .queued
                entry.job.attempts = 0
                entry.job.updatedAtMillis = now
                entry.score = entry.job.priority.score(at: now, agingStepMillis: step)
                s.jobs[id] = entry
                Self.insertReady(&s, ReadyKey(score: entry.score, id: id))
                s.counts[entry.job.priority, default: .init()].dead -= 1
                s.counts[entry.job.priority, default: .init()].queued += 1
                moved += 1
            }
            s.dead = kept
            return moved
        }
    }

    public func purgeDeadLetters(ids: [String]) async throws -> Int {
        state.withLock { s in
            let chosen = ids.isEmpty ? Array(s.dead.prefix(QueueStats.maxBatch)) : ids
            let wanted = Set(chosen)
            var purged = 0
            var kept: [String] = []
            kept.reserveCapacity(s.dead.count)
            for id in s.dead {
                guard wanted.contains(id), let entry = s.jobs[id], entry.job.state == .dead else {
                    kept.append(id)
                    continue
                }
                s.jobs[id] = nil
                if !entry.job.idempotencyKey.isEmpty, s.idempotency[entry.job.idempotencyKey] == id {
                    s.idempotency[entry.job.idempotencyKey] = nil
                }
                s.counts[entry.job.priority, default: .init()].dead -= 1
                purged += 1
            }
            s.dead = kept
            return purged
        }
    }

    // MARK: Internals

    /// "job_" + the sequence as 16 hex digits + a random suffix: ids sort in enqueue order, which breaks ties of equal
    /// scores first in, first out (the Redis store's ids have the same shape).
    static func jobID(sequence: UInt64, suffix: String) -> String {
        let hex = String(sequence, radix: 16)
        return "job_" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    private static func insertReady(_ s: inout State, _ key: ReadyKey) {
        var low = 0
        var high = s.ready.count
        while low < high {
            let mid = (low + high) / 2
            if s.ready[mid] < key { low = mid + 1 } else { high = mid }
        }
        s.ready.insert(key, at: low)
    }

    /// Forgets finished jobs whose result TTL has passed, with their idempotency keys.
    private static func sweep(_ s: inout State, now: Int64) {
        var removed = 0
        for (expires, id) in s.expiring {
            guard expires <= now else { break }
            removed += 1
            guard let entry = s.jobs[id], let at = entry.expiresAt, at <= now else { continue }
            s.jobs[id] = nil
            if !entry.job.idempotencyKey.isEmpty, s.idempotency[entry.job.idempotencyKey] == id {
                s.idempotency[entry.job.idempotencyKey] = nil
            }
        }
        if removed > 0 { s.expiring.removeFirst(removed) }
    }
}
