/// How urgent a queued job is, most urgent first.
///
/// Ordering uses one score per job, `enqueued_at_ms + rank × aging_step_ms` (lowest first): jobs of one priority run
/// first in, first out; a job waits at most `rank × aging_step` behind more urgent work enqueued after it, so a
/// background job that has waited four aging steps outranks a critical job enqueued just now and nothing starves.
public enum JobPriority: String, CaseIterable, Sendable, Hashable, Codable {
    case critical
    case high
    case normal
    case low
    case background

    /// 0 for critical through 4 for background: how many aging steps a job of this priority yields to critical.
    public var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .normal: 2
        case .low: 3
        case .background: 4
        }
    }

    public init?(rank: Int) {
        guard let p = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = p
    }

    /// The ordering score of a job of this priority that becomes runnable at `unixMillis`.
    public func score(at unixMillis: Int64, agingStepMillis: Int64) -> Int64 {
        unixMillis + Int64(rank) * agingStepMillis
    }
}
