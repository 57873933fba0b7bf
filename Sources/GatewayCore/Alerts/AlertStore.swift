/// The recent alerts Admin lists: per process in memory, shared by every instance in Redis.
public protocol AlertStore: Sendable {
    func append(_ alert: Alert) async throws
    /// Newest first, at most `limit`, raised at or after `sinceMillis`.
    func recent(limit: Int, sinceMillis: Int64) async throws -> [Alert]
}

/// How an alert leaves aigw besides the log and Admin, e.g. a webhook. Delivery retries are the notifier's own.
public protocol AlertNotifier: Sendable {
    func deliver(_ alert: Alert) async
}
