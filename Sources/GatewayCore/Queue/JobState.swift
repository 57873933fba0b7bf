/// Where a queued job is in its life.
///
/// - `queued`: waiting to be claimed by a worker (new, put back after a lost lease, or waiting out a rate limit or
///   budget without using an attempt).
/// - `running`: claimed by a worker under a lease.
/// - `retrying`: its last attempt failed with a retryable error; it runs again after a backoff.
/// - `succeeded`: answered; the result is kept for the configured result TTL.
/// - `failed`: ended by an error that no retry can fix (the request itself is wrong); kept for the result TTL.
/// - `dead`: out of attempts (or stopped by an operator-side error such as a rejected API key); kept in the
///   dead-letter queue until an admin retries or purges it.
public enum JobState: String, CaseIterable, Sendable, Hashable, Codable {
    case queued
    case running
    case retrying
    case succeeded
    case failed
    case dead

    /// Nothing more will happen to the job unless an admin acts (only dead jobs can be retried).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .dead: true
        case .queued, .running, .retrying: false
        }
    }

    /// Whether a store may move a job from this state to `next`: the transition table every store follows.
    public func canMove(to next: JobState) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.retrying, .running): true
        case (.running, .succeeded), (.running, .failed), (.running, .dead), (.running, .retrying),
            (.running, .queued):
            true
        case (.dead, .queued): true
        default: false
        }
    }
}
