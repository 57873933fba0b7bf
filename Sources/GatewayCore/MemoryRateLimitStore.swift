import Synchronization

/// Limit counters in this process's memory, for the embedded (no Redis) mode.
///
/// One lock makes each multi-limit check atomic. Memory is bounded: counters that have nothing to remember (a full
/// bucket, an empty window) are dropped by a sweep every `sweepEvery` checks, and beyond `maxKeys` counters the least
/// recently used are dropped, which only ever errs towards allowing.
public final class MemoryRateLimitStore: SynchronousRateLimitStore {
    private struct Entry {
        var counter: LimitCounter
        var rule: RateLimitRule
        var lastUsed: Int64
    }

    private struct State {
        var entries: [LimitKey: Entry] = [:]
        var checksSinceSweep = 0
    }

    private let state = Mutex(State())
    private let clock: any GatewayClock
    private let maxKeys: Int
    private let sweepEvery: Int

    public init(clock: any GatewayClock, maxKeys: Int = 1_000_000, sweepEvery: Int = 10_000) {
        precondition(maxKeys > 0 && sweepEvery > 0)
        self.clock = clock
        self.maxKeys = maxKeys
        self.sweepEvery = sweepEvery
    }

    public func check(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) async throws -> [LimitStatus] {
        checkNow(limits, cost: cost, peek: peek)
    }

    public func checkNow(_ limits: [AppliedLimit], cost: UInt64, peek: Bool) -> [LimitStatus] {
        let now = clock.unixMillis()
        return state.withLock { state in
            var statuses: [LimitStatus] = []
            statuses.reserveCapacity(limits.count)
            // Each key is hashed once: a counter that exists is written back through its index.
            var updated: [(LimitKey, Dictionary<LimitKey, Entry>.Index?, Entry)] = []
            updated.reserveCapacity(limits.count)
            for limit in limits {
                var counter = LimitCounter.fresh(limit.rule, now: now)
                let index = state.entries.index(forKey: limit.key)
                if let index, state.entries.values[index].rule == limit.rule { counter = state.entries.values[index].counter }
                var (evaluation, consumed) = counter.evaluate(limit.rule, cost: cost, now: now)
                if peek { evaluation.remaining = counter.evaluate(limit.rule, cost: 0, now: now).status.remaining }
                statuses.append(LimitStatus(key: limit.key, rule: limit.rule, evaluation: evaluation))
                // A shadow limit that would deny keeps its state; it only reports.
                updated.append((limit.key, index, Entry(counter: evaluation.allowed ? consumed : counter,
                                                        rule: limit.rule, lastUsed: now)))
            }
            if !peek && !statuses.contains(where: \.denies) {
                // Writes through indices first: an insert may rehash and invalidate them.
                for (_, index, entry) in updated { if let index { state.entries.values[index] = entry } }
                for (key, index, entry) in updated where index == nil { state.entries[key] = entry }
            }
            state.checksSinceSweep += 1
            if state.checksSinceSweep >= sweepEvery || state.entries.count > maxKeys {
                Self.sweep(&state, now: now, maxKeys: maxKeys)
            }
            return statuses
        }
    }

    public func reset(endpoint: Endpoint, userID: String, orgID: String) async throws -> Int {
        state.withLock { state in
            let before = state.entries.count
            state.entries = state.entries.filter { key, _ in
                guard key.endpoint == endpoint else { return true }
                if userID.isEmpty && orgID.isEmpty { return false }
                let matches = (key.level == .user && key.subject == userID) || (key.level == .org && key.subject == orgID)
                return !matches
            }
            return before - state.entries.count
        }
    }

    /// Counters held now, for tests and metrics.
    public var keyCount: Int { state.withLock { $0.entries.count } }

    private static func sweep(_ state: inout State, now: Int64, maxKeys: Int) {
        state.checksSinceSweep = 0
        state.entries = state.entries.filter { !$0.value.counter.isIdle($0.value.rule, now: now) }
        if state.entries.count > maxKeys {
            let excess = state.entries.count - maxKeys
            for key in state.entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }).prefix(excess).map(\.key) {
                state.entries.removeValue(forKey: key)
            }
        }
    }
}
