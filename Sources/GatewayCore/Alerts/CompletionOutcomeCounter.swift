import Synchronization

/// Counts how Complete and Stream calls end, for the `error_rate` monitoring alert.
///
/// An error here is a call that failed for a reason the caller did not cause: the upstream failed after retries and
/// fallback, aigw could not reach a store, no provider was available, a deadline passed. A caller's own mistakes and
/// choices (a bad request, its rate limit or budget, cancelling) are calls, not errors: they say nothing about the
/// gateway's health, and counting them would let one misbehaving service page the operators.
public final class CompletionOutcomeCounter: Sendable {
    private let calls = Atomic<UInt64>(0)
    private let errors = Atomic<UInt64>(0)

    public init() {}

    public func succeeded() {
        calls.add(1, ordering: .relaxed)
    }

    public func failed(_ error: GatewayError) {
        calls.add(1, ordering: .relaxed)
        if Self.countsAsError(error.code) { errors.add(1, ordering: .relaxed) }
    }

    public var totals: (calls: UInt64, errors: UInt64) {
        (calls.load(ordering: .relaxed), errors.load(ordering: .relaxed))
    }

    public static func countsAsError(_ code: GatewayError.Code) -> Bool {
        switch code {
        case .invalidArgument, .resourceExhausted, .cancelled, .permissionDenied, .unauthenticated, .notFound,
            .alreadyExists:
            return false
        default:
            return true
        }
    }
}
