/// The recent alerts Admin lists, and the monitoring alerts firing now: per process in memory, shared by every
/// instance in Redis.
public protocol AlertStore: Sendable {
    func append(_ alert: Alert) async throws
    /// Newest first, at most `limit`, raised at or after `sinceMillis`.
    func recent(limit: Int, sinceMillis: Int64) async throws -> [Alert]

    /// Marks `alert` as firing under `key` (one entry per condition and instance), replacing what the key held. The
    /// entry lapses at `expiresAtMillis` unless set again, so an instance that died does not leave it on for ever.
    func setActive(_ alert: Alert, key: String, expiresAtMillis: Int64) async throws
    func clearActive(key: String) async throws
    /// The alerts firing now, oldest first.
    func active(nowMillis: Int64) async throws -> [Alert]
}

/// How a firing alert is kept by stores that serialise it.
public struct ActiveAlert: Sendable, Hashable, Codable {
    public var alert: Alert
    public var expiresAtMillis: Int64

    public init(alert: Alert, expiresAtMillis: Int64) {
        self.alert = alert
        self.expiresAtMillis = expiresAtMillis
    }
}

/// How an alert leaves aigw besides the log and Admin, e.g. a webhook. Delivery retries are the notifier's own.
public protocol AlertNotifier: Sendable {
    func deliver(_ alert: Alert) async
}
