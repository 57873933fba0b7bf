/// Where usage records and their daily aggregates live: in memory for the embedded default, in Redis when instances
/// share one. Both implementations pass one behaviour suite.
///
/// Recording is idempotent on the request id and atomic with the aggregates, so the aggregates always equal the sum
/// of the recorded records, on either store and under any concurrency.
public protocol UsageStore: Sendable {
    /// Records `record` and adds it to the aggregates of its day (UTC) for everyone, its user and its org, each split
    /// by model and endpoint. Returns false, changing nothing, when the request id was already recorded.
    func record(_ record: UsageRecord) async throws -> Bool

    /// Records each of `records` exactly as `record(_:)` would (a request id twice in the batch is new once) and
    /// answers, in order, whether each was new. A batch that throws may have recorded some of its records; recording
    /// it again is safe, since each record is idempotent on its request id. The Redis store makes a batch one script
    /// call; the default records one by one.
    func record(_ records: [UsageRecord]) async throws -> [Bool]

    /// Each day's breakdown for `scope` over `from...to` (inclusive); days without usage are absent.
    func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown]

    /// The `limit` biggest spenders over `from...to`, users or orgs, by cost (ties by id), with their totals.
    func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
        -> [(id: String, totals: UsageTotals)]
}

extension UsageStore {
    public func record(_ records: [UsageRecord]) async throws -> [Bool] {
        var recorded: [Bool] = []
        recorded.reserveCapacity(records.count)
        for record in records { recorded.append(try await self.record(record)) }
        return recorded
    }
}

/// Which kind of subject a spender ranking lists.
public enum SpenderLevel: String, Sendable, Hashable {
    case user
    case org
}
