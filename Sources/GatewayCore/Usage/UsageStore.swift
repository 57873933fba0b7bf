/// Where usage records and their daily aggregates live: in memory for the embedded default, in Redis when instances
/// share one. Both implementations pass one behaviour suite.
///
/// Recording is idempotent on the request id and atomic with the aggregates, so the aggregates always equal the sum
/// of the recorded records, on either store and under any concurrency.
public protocol UsageStore: Sendable {
    /// Records `record` and adds it to the aggregates of its day (UTC) for everyone, its user and its org, each split
    /// by model and endpoint. Returns false, changing nothing, when the request id was already recorded.
    func record(_ record: UsageRecord) async throws -> Bool

    /// Each day's breakdown for `scope` over `from...to` (inclusive); days without usage are absent.
    func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown]

    /// The `limit` biggest spenders over `from...to`, users or orgs, by cost (ties by id), with their totals.
    func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
        -> [(id: String, totals: UsageTotals)]
}

/// Which kind of subject a spender ranking lists.
public enum SpenderLevel: String, Sendable, Hashable {
    case user
    case org
}
