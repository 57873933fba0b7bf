import Synchronization

/// What this instance has been charging in the last minute, by caller and by model, plus running totals: the
/// "right now" view behind `aigwctl top`, kept apart from the usage store so reading it costs no store round trip.
///
/// Records land in one-second buckets; a bucket holds at most `maxKeysPerBucket` callers and models (the rest are
/// folded into "other"), so memory stays bounded whatever the callers send.
public final class LiveActivity: Sendable {
    public struct Tally: Sendable, Hashable {
        public var records: UInt64 = 0
        public var tokens: UInt64 = 0
        public var costNanos: Int64 = 0

        public init(records: UInt64 = 0, tokens: UInt64 = 0, costNanos: Int64 = 0) {
            self.records = records
            self.tokens = tokens
            self.costNanos = costNanos
        }

        mutating func add(_ record: UsageRecord) {
            records += 1
            tokens += record.usage.total
            costNanos += record.costNanos
        }

        mutating func add(_ other: Tally) {
            records += other.records
            tokens += other.tokens
            costNanos += other.costNanos
        }
    }

    /// Totals since the process started (input counts cached input and cache writes too), and the busiest callers
    /// and models of the window.
    public struct Snapshot: Sendable {
        public var records: UInt64
        public var inputTokens: UInt64
        public var outputTokens: UInt64
        public var costNanos: Int64
        public var topCallers: [(key: String, tally: Tally)]
        public var topModels: [(key: String, tally: Tally)]
        public var windowSeconds: Int
    }

    private struct Bucket {
        var second: Int64 = -1
        var callers: [String: Tally] = [:]
        var models: [String: Tally] = [:]
    }

    private struct State {
        var buckets: [Bucket]
        var records: UInt64 = 0
        var inputTokens: UInt64 = 0
        var outputTokens: UInt64 = 0
        var costNanos: Int64 = 0
    }

    public static let other = "other"
    private let clock: any GatewayClock
    private let windowSeconds: Int
    private let maxKeysPerBucket: Int
    private let state: Mutex<State>

    public init(clock: any GatewayClock, windowSeconds: Int = 60, maxKeysPerBucket: Int = 1_000) {
        precondition(windowSeconds > 0 && maxKeysPerBucket > 0)
        self.clock = clock
        self.windowSeconds = windowSeconds
        self.maxKeysPerBucket = maxKeysPerBucket
        state = Mutex(State(buckets: Array(repeating: Bucket(), count: windowSeconds)))
    }

    /// The caller's name in the view: `org/user`, or either alone.
    public static func caller(userID: String, orgID: String) -> String {
        switch (userID.isEmpty, orgID.isEmpty) {
        case (false, false): "\(orgID)/\(userID)"
        case (true, false): orgID
        default: userID
        }
    }

    public func record(_ record: UsageRecord) {
        let second = clock.unixMillis() / 1_000
        let caller = Self.caller(userID: record.userID, orgID: record.orgID)
        let limit = maxKeysPerBucket
        state.withLock { state in
            state.records += 1
            state.inputTokens += record.usage.input + record.usage.cachedInput + record.usage.cacheWrite
            state.outputTokens += record.usage.output
            state.costNanos += record.costNanos
            let index = Int(second % Int64(state.buckets.count))
            if state.buckets[index].second != second { state.buckets[index] = Bucket(second: second) }
            let callerKey = state.buckets[index].callers[caller] != nil
                || state.buckets[index].callers.count < limit ? caller : Self.other
            state.buckets[index].callers[callerKey, default: Tally()].add(record)
            let modelKey = state.buckets[index].models[record.model] != nil
                || state.buckets[index].models.count < limit ? record.model : Self.other
            state.buckets[index].models[modelKey, default: Tally()].add(record)
        }
    }

    /// Totals, and the `top` busiest callers and models by cost (then records) over the last window.
    public func snapshot(top: Int) -> Snapshot {
        let now = clock.unixMillis() / 1_000
        let oldest = now - Int64(windowSeconds) + 1
        var callers: [String: Tally] = [:]
        var models: [String: Tally] = [:]
        let totals = state.withLock { state in
            for bucket in state.buckets where bucket.second >= oldest && bucket.second <= now {
                for (key, tally) in bucket.callers { callers[key, default: Tally()].add(tally) }
                for (key, tally) in bucket.models { models[key, default: Tally()].add(tally) }
            }
            return (state.records, state.inputTokens, state.outputTokens, state.costNanos)
        }
        func busiest(_ tallies: [String: Tally]) -> [(key: String, tally: Tally)] {
            Array(tallies.map { (key: $0.key, tally: $0.value) }.sorted {
                ($0.tally.costNanos, $0.tally.records, $1.key) > ($1.tally.costNanos, $1.tally.records, $0.key)
            }.prefix(max(top, 0)))
        }
        return Snapshot(
            records: totals.0, inputTokens: totals.1, outputTokens: totals.2, costNanos: totals.3,
            topCallers: busiest(callers), topModels: busiest(models), windowSeconds: windowSeconds)
    }
}
