import Synchronization

/// Usage records and their daily aggregates in this process's memory, for the embedded (no Redis) mode.
///
/// One lock makes each record atomic with its aggregates, so every aggregate is exactly the integer sum of the
/// distinct records added to it, under any concurrency. Memory is bounded two ways:
/// - Request ids, remembered only for idempotency, are kept for `idempotencyWindowMillis` (8 days by default) after
///   they were recorded, by the injected clock, and at most `maxRequestIDs` of them (the oldest are forgotten first).
///   A duplicate arriving after its id is forgotten is counted again; that is the price of the bound, and the Redis
///   store makes the same trade with its key TTL.
/// - Daily aggregates (everyone, each user, each org) are dropped once their day started more than
///   `aggregateRetentionMillis` (400 days by default) ago.
///
/// Users and orgs with an empty id are aggregated under `.all` only: an empty id names no one.
public final class MemoryUsageStore: UsageStore {
    private struct State {
        var all: [UTCDate: UsageBreakdown] = [:]
        var users: [UTCDate: [String: UsageBreakdown]] = [:]
        var orgs: [UTCDate: [String: UsageBreakdown]] = [:]
        /// Remembered request ids with the time each may be forgotten.
        var requestIDs: [String: Int64] = [:]
        /// The same ids in the order they were recorded, so a sweep pops expired ones from the front in amortised
        /// constant time. `head` is the first live slot; the array is compacted when half of it is dead.
        var order: [(id: String, forgetAt: Int64)] = []
        var head = 0
        /// The day aggregates were last pruned, so pruning runs at most once a day.
        var prunedDay: UTCDate?
    }

    private let state = Mutex(State())
    private let clock: any GatewayClock
    private let idempotencyWindowMillis: Int64
    private let maxRequestIDs: Int
    private let aggregateRetentionMillis: Int64

    public init(
        clock: any GatewayClock, idempotencyWindowMillis: Int64 = 8 * 86_400_000, maxRequestIDs: Int = 10_000_000,
        aggregateRetentionMillis: Int64 = 400 * 86_400_000
    ) {
        precondition(idempotencyWindowMillis > 0 && maxRequestIDs > 0 && aggregateRetentionMillis > 0)
        self.clock = clock
        self.idempotencyWindowMillis = idempotencyWindowMillis
        self.maxRequestIDs = maxRequestIDs
        self.aggregateRetentionMillis = aggregateRetentionMillis
    }

    public func record(_ record: UsageRecord) async throws -> Bool {
        recordNow(record)
    }

    /// `record(_:)` without suspending, for callers that are not async.
    public func recordNow(_ record: UsageRecord) -> Bool {
        let now = clock.unixMillis()
        return state.withLock { state in
            sweep(&state, now: now)
            guard state.requestIDs[record.requestID] == nil else { return false }
            let forgetAt = now + idempotencyWindowMillis
            state.requestIDs[record.requestID] = forgetAt
            state.order.append((record.requestID, forgetAt))

            let day = UTCDate(unixMillis: record.occurredAtMillis)
            let totals = UsageTotals(record)
            state.all[day, default: .zero].add(totals, model: record.model, endpoint: record.endpoint)
            if !record.userID.isEmpty {
                state.users[day, default: [:]][record.userID, default: .zero]
                    .add(totals, model: record.model, endpoint: record.endpoint)
            }
            if !record.orgID.isEmpty {
                state.orgs[day, default: [:]][record.orgID, default: .zero]
                    .add(totals, model: record.model, endpoint: record.endpoint)
            }
            return true
        }
    }

    public func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown] {
        state.withLock { state in
            var result: [UTCDate: UsageBreakdown] = [:]
            switch scope {
            case .all:
                for (day, breakdown) in state.all where from <= day && day <= to { result[day] = breakdown }
            case .user(let id):
                for (day, subjects) in state.users where from <= day && day <= to {
                    if let breakdown = subjects[id] { result[day] = breakdown }
                }
            case .org(let id):
                for (day, subjects) in state.orgs where from <= day && day <= to {
                    if let breakdown = subjects[id] { result[day] = breakdown }
                }
            }
            return result
        }
    }

    public func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
        -> [(id: String, totals: UsageTotals)]
    {
        guard limit > 0 else { return [] }
        let sums = state.withLock { state in
            var sums: [String: UsageTotals] = [:]
            for (day, subjects) in level == .user ? state.users : state.orgs where from <= day && day <= to {
                for (id, breakdown) in subjects { sums[id, default: .zero] = sums[id, default: .zero] + breakdown.totals }
            }
            return sums
        }
        return sums.sorted { a, b in
            a.value.costNanos != b.value.costNanos ? a.value.costNanos > b.value.costNanos : a.key < b.key
        }
        .prefix(limit).map { (id: $0.key, totals: $0.value) }
    }

    /// What `scope` spent on `days`, read without suspending so a budget check can hold its own lock around it.
    public func costNanos(_ scope: UsageScope, on days: [UTCDate]) -> Int64 {
        state.withLock { state in
            days.reduce(Int64(0)) { sum, day in
                let breakdown: UsageBreakdown? =
                    switch scope {
                    case .all: state.all[day]
                    case .user(let id): state.users[day]?[id]
                    case .org(let id): state.orgs[day]?[id]
                    }
                return sum + (breakdown?.totals.costNanos ?? 0)
            }
        }
    }

    /// Request ids remembered now, for tests and metrics.
    public var rememberedRequestIDs: Int { state.withLock { $0.requestIDs.count } }

    /// Forgets request ids past their window (or beyond `maxRequestIDs`) and, once a day, aggregates past retention.
    private func sweep(_ state: inout State, now: Int64) {
        // The clock may step back a little, so an entry behind a later one can outlive its time by that step; it is
        // still forgotten once the entries ahead of it are.
        while state.head < state.order.count,
            state.order[state.head].forgetAt <= now || state.requestIDs.count >= maxRequestIDs
        {
            let entry = state.order[state.head]
            if state.requestIDs[entry.id] == entry.forgetAt { state.requestIDs.removeValue(forKey: entry.id) }
            state.head += 1
        }
        if state.head > 1_024 && state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }

        let today = UTCDate(unixMillis: now)
        guard state.prunedDay != today else { return }
        state.prunedDay = today
        let oldest = UTCDate(unixMillis: now - aggregateRetentionMillis)
        state.all = state.all.filter { $0.key >= oldest }
        state.users = state.users.filter { $0.key >= oldest }
        state.orgs = state.orgs.filter { $0.key >= oldest }
    }
}

extension UsageBreakdown {
    /// Adds one record's totals to the day's totals and to its model's and endpoint's.
    fileprivate mutating func add(_ totals: UsageTotals, model: String, endpoint: Endpoint) {
        self.totals = self.totals + totals
        byModel[model, default: .zero] = byModel[model, default: .zero] + totals
        byEndpoint[endpoint, default: .zero] = byEndpoint[endpoint, default: .zero] + totals
    }
}
