/// Decides what happens to a job after one run, as a plain value: given the run's result and the attempts used, it
/// returns the `JobFinish` a store applies. No I/O, so every branch is tested exactly.
///
/// - An answer succeeds.
/// - A retryable failure retries after `backoff(attempt)` (or the upstream's retry-after, if longer) while attempts
///   remain, and goes to the dead-letter queue with its error after the last one.
/// - A deferral (rate limit or budget) waits the limiter's retry-after, or the backoff, without using an attempt.
/// - A permanent failure fails at once; a fatal one goes to the dead-letter queue at once.
/// - A cancelled run (shutdown) goes back to the queue at once, without using an attempt.
public struct JobStateMachine: Sendable, Hashable {
    public var baseDelayMillis: Int64
    public var maxDelayMillis: Int64

    public init(baseDelayMillis: Int64 = 1_000, maxDelayMillis: Int64 = 60_000) {
        self.baseDelayMillis = baseDelayMillis
        self.maxDelayMillis = maxDelayMillis
    }

    public enum RunResult: Sendable, Hashable {
        case answered([UInt8])
        case failed(JobFailure)
    }

    /// `attempts` is the job's count including the run that just ended. `unitRandom` is uniform in [0, 1).
    public func finish(after result: RunResult, attempts: Int, maxAttempts: Int, unitRandom: Double) -> JobFinish {
        switch result {
        case .answered(let bytes):
            return .succeeded(result: bytes)
        case .failed(let failure):
            switch failure.kind {
            case .cancelled:
                return .wait(error: failure.message, delayMillis: 0)
            case .deferred:
                let wait = failure.retryAfterMillis ?? backoffMillis(attempt: max(attempts, 1), unitRandom: unitRandom)
                return .wait(error: failure.message, delayMillis: min(max(wait, 1), maxDelayMillis))
            case .permanent:
                return .failed(error: failure.message)
            case .fatal:
                return .dead(error: failure.message)
            case .retryable:
                guard attempts < maxAttempts else { return .dead(error: failure.message) }
                let delay = max(backoffMillis(attempt: attempts, unitRandom: unitRandom), failure.retryAfterMillis ?? 0)
                return .retry(error: failure.message, delayMillis: min(delay, maxDelayMillis))
            }
        }
    }

    /// Exponential backoff with equal jitter before the retry that follows attempt `attempt` (1-based): half of
    /// base·2^(attempt-1) (capped) plus a random part of the other half, so jobs that failed together spread out
    /// but never retry at once.
    public func backoffMillis(attempt: Int, unitRandom: Double) -> Int64 {
        let shift = Int64(min(max(attempt - 1, 0), 30))
        let raw = baseDelayMillis.multipliedReportingOverflow(by: Int64(1) << shift)
        let ceiling = raw.overflow ? maxDelayMillis : min(raw.partialValue, maxDelayMillis)
        let half = ceiling / 2
        return half + Int64((Double(ceiling - half) * min(max(unitRandom, 0), 0.999_999)).rounded(.down))
    }
}
