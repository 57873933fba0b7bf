import GatewayCore
import GatewayWire

/// The queue's side of the wire seam: priorities, states and jobs.
extension WireMapping {
    /// Unspecified means normal; an unknown value is INVALID_ARGUMENT.
    static func priority(_ p: Aigw_V1_Priority) throws -> JobPriority {
        switch p {
        case .unspecified, .normal: return .normal
        case .critical: return .critical
        case .high: return .high
        case .low: return .low
        case .background: return .background
        case .unrecognized(let n):
            throw GatewayError(.invalidArgument, "unknown priority \(n)", reason: "invalid_priority")
        }
    }

    static func priority(_ p: JobPriority) -> Aigw_V1_Priority {
        switch p {
        case .critical: .critical
        case .high: .high
        case .normal: .normal
        case .low: .low
        case .background: .background
        }
    }

    static func jobState(_ s: JobState) -> Aigw_V1_JobState {
        switch s {
        case .queued: .queued
        case .running: .running
        case .retrying: .retrying
        case .succeeded: .succeeded
        case .failed: .failed
        case .dead: .dead
        }
    }

    /// The job as GetJob and ListDeadLetters show it; the caller comes from the stored request (without it, from
    /// the stored user and org).
    static func job(_ j: QueueJob, withResult: Bool) -> Aigw_V1_Job {
        var job = Aigw_V1_Job()
        job.jobId = j.id
        job.priority = priority(j.priority)
        job.state = jobState(j.state)
        job.attempts = UInt32(clamping: j.attempts)
        job.maxAttempts = UInt32(clamping: j.maxAttempts)
        job.lastError = j.lastError
        job.createdAtUnixMs = j.createdAtMillis
        job.updatedAtUnixMs = j.updatedAtMillis
        if let request = try? Aigw_V1_CompleteRequest(serializedBytes: j.payload), let caller = request.caller {
            job.caller = caller
        } else {
            var caller = Aigw_V1_Caller()
            caller.userId = j.userID
            caller.orgId = j.orgID
            job.caller = caller
        }
        if withResult, j.state == .succeeded, !j.result.isEmpty {
            job.result = try? Aigw_V1_CompleteResponse(serializedBytes: j.result)
        }
        return job
    }
}
