/// Something an operator should know about, raised inside aigw: a budget threshold crossed today; queue length,
/// error rate and cache hit rate alerts later. Alerts are kept for Admin, logged, and optionally POSTed to a webhook.
public struct Alert: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Hashable, Codable {
        case info, warning, critical
    }

    public var id: String
    /// e.g. `budget_threshold`.
    public var kind: String
    public var severity: Severity
    public var message: String
    /// What the alert is about, e.g. `org:acme`.
    public var subject: String
    public var raisedAtMillis: Int64
    /// Machine-readable facts for the webhook (budget id, threshold, spent, limit, period ...).
    public var details: [String: String]

    public init(
        id: String, kind: String, severity: Severity, message: String, subject: String, raisedAtMillis: Int64,
        details: [String: String] = [:]
    ) {
        self.id = id
        self.kind = kind
        self.severity = severity
        self.message = message
        self.subject = subject
        self.raisedAtMillis = raisedAtMillis
        self.details = details
    }
}
