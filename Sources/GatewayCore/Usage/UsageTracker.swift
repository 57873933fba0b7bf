/// Prices usage and records it, once per request id: what TrackUsage and every Complete and Stream go through.
///
/// A cache hit costs nothing upstream and is recorded at zero cost with its flag, so reports show what the cache
/// saved. A model missing from the price table is recorded at zero cost, flagged `unpriced`, and reported through
/// `onUnpriced` (a warning and a metric); it is never dropped.
public struct UsageTracker: Sendable {
    public let store: any UsageStore
    public let prices: PriceBook
    /// `store` when it writes records behind, found once here rather than by a cast per record.
    private let writeBehind: BufferedUsageStore?
    private let clock: any GatewayClock
    private let onUnpriced: @Sendable (String) -> Void
    private let onRecorded: @Sendable (UsageRecord) async -> Void

    /// `onRecorded` runs after each newly recorded record (not for duplicates) before `track` returns: budgets check
    /// their thresholds there.
    public init(
        store: any UsageStore, prices: PriceBook, clock: any GatewayClock,
        onUnpriced: @escaping @Sendable (String) -> Void = { _ in },
        onRecorded: @escaping @Sendable (UsageRecord) async -> Void = { _ in }
    ) {
        self.store = store
        self.prices = prices
        self.clock = clock
        self.onUnpriced = onUnpriced
        self.onRecorded = onRecorded
        writeBehind = (store as? BufferedUsageStore).flatMap { $0.writeBehind ? $0 : nil }
    }

    /// What one usage report consists of, before pricing.
    public struct Entry: Sendable, Hashable {
        public var requestID: String
        public var userID: String
        public var orgID: String
        public var endpoint: Endpoint
        public var provider: ProviderKind?
        public var model: String
        public var usage: TokenUsage
        public var cacheHit: Bool
        /// nil: now.
        public var occurredAtMillis: Int64?

        public init(
            requestID: String, userID: String, orgID: String, endpoint: Endpoint, provider: ProviderKind?,
            model: String, usage: TokenUsage, cacheHit: Bool = false, occurredAtMillis: Int64? = nil
        ) {
            self.requestID = requestID
            self.userID = userID
            self.orgID = orgID
            self.endpoint = endpoint
            self.provider = provider
            self.model = model
            self.usage = usage
            self.cacheHit = cacheHit
            self.occurredAtMillis = occurredAtMillis
        }
    }

    /// The record an entry becomes: priced from the current table.
    public func price(_ entry: Entry) -> UsageRecord {
        let cost = prices.current.cost(model: entry.model, usage: entry.usage)
        return UsageRecord(
            requestID: entry.requestID, userID: entry.userID, orgID: entry.orgID, endpoint: entry.endpoint,
            provider: entry.provider, model: entry.model, usage: entry.usage,
            costNanos: entry.cacheHit ? 0 : (cost ?? 0), occurredAtMillis: entry.occurredAtMillis ?? clock.unixMillis(),
            cacheHit: entry.cacheHit, unpriced: cost == nil)
    }

    /// Prices and records `entry`; `duplicate` is true when its request id was already recorded (nothing changed).
    public func track(_ entry: Entry) async throws -> (record: UsageRecord, duplicate: Bool) {
        let record = try priced(entry)
        let recorded = try await store.record(record)
        if recorded { await onRecorded(record) }
        return (record, !recorded)
    }

    /// Prices and records `entry` without waiting for the store when it writes records behind (Redis with
    /// `usage.write_behind_ms` > 0): the record is queued, written within that interval, and `onRecorded` runs then,
    /// if it was new. Otherwise (the memory store, write-behind off, its queue full) this is `track`. For records
    /// whose answer does not depend on the write: a cache hit, which costs nothing and so cannot move a budget.
    public func trackBehind(_ entry: Entry) async throws -> UsageRecord {
        guard let writeBehind else { return try await track(entry).record }
        let record = try priced(entry)
        if writeBehind.recordBehind(record, onRecorded: onRecorded) { return record }
        let recorded = try await store.record(record)
        if recorded { await onRecorded(record) }
        return record
    }

    private func priced(_ entry: Entry) throws -> UsageRecord {
        guard !entry.requestID.isEmpty else {
            throw GatewayError(.invalidArgument, "request_id is required: it makes a report idempotent",
                               reason: "missing_request_id")
        }
        guard !entry.model.isEmpty else {
            throw GatewayError(.invalidArgument, "model is required", reason: "missing_model")
        }
        let record = price(entry)
        if record.unpriced { onUnpriced(record.model) }
        return record
    }
}
