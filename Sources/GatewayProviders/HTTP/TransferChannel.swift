import Synchronization

/// The hand-off between the curl thread and the Swift tasks waiting on one transfer: the response head for
/// `execute`, then the body chunks for the consumer, then the end.
///
/// One lock guards it. The curl thread never waits on it for long and never suspends; consumers park a continuation
/// and the curl thread resumes it directly with the next chunk, so a chunk that finds a waiting consumer is never
/// buffered. Chunks that find no consumer are queued; past `highWater` queued bytes the write callback is told to
/// pause, and the consumer asks for an unpause once it has drained below `lowWater`.
///
/// Cancellation settles the waiting side at once (without waiting for the curl thread) and drops queued chunks; the
/// caller then asks the curl thread to remove the handle.
final class TransferChannel: Sendable {
    typealias HeadContinuation = UnsafeContinuation<Result<HTTPResponse, HTTPClientError>, Never>
    typealias BodyContinuation = UnsafeContinuation<Result<[UInt8]?, HTTPClientError>, Never>

    /// What the write callback should tell libcurl.
    enum DeliverOutcome {
        case accepted
        case pause
    }

    private struct State {
        var headWaiter: HeadContinuation?
        var headSettled = false
        var bodyWaiter: BodyContinuation?
        var chunks: [[UInt8]] = []
        var chunkIndex = 0
        var buffered = 0
        var paused = false
        /// How the body ends for the consumer, once known; delivered after the queued chunks.
        var end: Result<Void, HTTPClientError>?
        var endDelivered = false
        var cancelled = false
        var transferDone = false

        /// The next chunk or the end if either is available, and whether the transfer should now be unpaused.
        mutating func takeAvailable(lowWater: Int) -> (Result<[UInt8]?, HTTPClientError>, unpause: Bool)? {
            if chunkIndex < chunks.count {
                let chunk = chunks[chunkIndex]
                chunks[chunkIndex] = []
                chunkIndex += 1
                if chunkIndex == chunks.count {
                    chunks.removeAll(keepingCapacity: true)
                    chunkIndex = 0
                }
                buffered -= chunk.count
                var unpause = false
                if paused && buffered <= lowWater {
                    paused = false
                    unpause = true
                }
                return (.success(chunk), unpause)
            }
            if endDelivered { return (.success(nil), false) }
            guard let end else { return nil }
            endDelivered = true
            switch end {
            case .success: return (.success(nil), false)
            case .failure(let error): return (.failure(error), false)
            }
        }
    }

    private static let cancelledError = HTTPClientError(.cancelled, message: "the request was cancelled")

    private let state = Mutex(State())
    private let highWater: Int
    private let lowWater: Int

    init(bufferLimit: Int) {
        self.highWater = max(1, bufferLimit)
        self.lowWater = bufferLimit / 4
    }

    var isCancelled: Bool {
        state.withLock { $0.cancelled }
    }

    // MARK: Consumer side

    /// Parks `execute`'s continuation. Returns false, having resumed it with `.cancelled`, when the request was
    /// cancelled first; the caller then does not submit the transfer.
    func setHeadWaiter(_ continuation: HeadContinuation) -> Bool {
        let cancelled = state.withLock { s in
            if s.cancelled { return true }
            s.headWaiter = continuation
            return false
        }
        if cancelled { continuation.resume(returning: .failure(Self.cancelledError)) }
        return !cancelled
    }

    /// The next chunk or end without waiting, or nil when the consumer has to wait.
    func poll() -> (Result<[UInt8]?, HTTPClientError>, unpause: Bool)? {
        state.withLock { $0.takeAvailable(lowWater: lowWater) }
    }

    /// Parks the consumer's continuation, or resumes it at once when something arrived since `poll()`. Returns
    /// whether the transfer should now be unpaused.
    func park(_ continuation: BodyContinuation) -> Bool {
        let available = state.withLock { s -> (Result<[UInt8]?, HTTPClientError>, unpause: Bool)? in
            if let available = s.takeAvailable(lowWater: lowWater) { return available }
            precondition(s.bodyWaiter == nil, "HTTPResponseBody supports a single consumer")
            s.bodyWaiter = continuation
            return nil
        }
        guard let available else { return false }
        continuation.resume(returning: available.0)
        return available.unpause
    }

    /// Settles whatever waits with `.cancelled` and drops queued chunks. Returns whether the transfer is still running
    /// on the curl thread (so the caller should have it removed).
    func requestCancel() -> Bool {
        enum Resume {
            case none
            case head(HeadContinuation?)
            case body(BodyContinuation?)
        }
        let (running, resume) = state.withLock { s -> (Bool, Resume) in
            if s.cancelled || (s.transferDone && s.endDelivered) { return (false, .none) }
            s.cancelled = true
            s.chunks = []
            s.chunkIndex = 0
            s.buffered = 0
            var resume = Resume.none
            if !s.headSettled {
                s.headSettled = true
                s.endDelivered = true
                resume = .head(s.headWaiter)
                s.headWaiter = nil
            } else if !s.endDelivered {
                s.end = .failure(Self.cancelledError)
                if let waiter = s.bodyWaiter {
                    s.bodyWaiter = nil
                    s.endDelivered = true
                    resume = .body(waiter)
                }
            }
            return (!s.transferDone, resume)
        }
        switch resume {
        case .none: break
        case .head(let waiter): waiter?.resume(returning: .failure(Self.cancelledError))
        case .body(let waiter): waiter?.resume(returning: .failure(Self.cancelledError))
        }
        return running
    }

    // MARK: Curl thread side

    /// Hands the final response head to `execute`. A head that arrives after cancellation is dropped.
    func deliverHead(_ response: HTTPResponse) {
        let waiter = state.withLock { s -> HeadContinuation? in
            guard !s.cancelled, !s.headSettled else { return nil }
            s.headSettled = true
            defer { s.headWaiter = nil }
            return s.headWaiter
        }
        waiter?.resume(returning: .success(response))
    }

    /// Hands body bytes to the waiting consumer, or queues them, or asks for a pause when too much is queued (in which
    /// case libcurl keeps the bytes and offers them again after the unpause).
    func deliver(_ bytes: UnsafeRawBufferPointer) -> DeliverOutcome {
        let chunk = [UInt8](bytes)
        let (waiter, outcome) = state.withLock { s -> (BodyContinuation?, DeliverOutcome) in
            if s.cancelled { return (nil, .accepted) }
            if let waiter = s.bodyWaiter {
                s.bodyWaiter = nil
                return (waiter, .accepted)
            }
            if s.buffered >= highWater {
                s.paused = true
                return (nil, .pause)
            }
            s.chunks.append(chunk)
            s.buffered += chunk.count
            return (nil, .accepted)
        }
        waiter?.resume(returning: .success(chunk))
        return outcome
    }

    /// Records how the transfer ended. A failure before the head reaches `execute`; otherwise the end reaches the
    /// consumer after the queued chunks.
    func finish(_ result: Result<Void, HTTPClientError>) {
        enum Resume {
            case none
            case head(HeadContinuation?, HTTPClientError)
            case body(BodyContinuation, Result<[UInt8]?, HTTPClientError>)
        }
        let resume = state.withLock { s -> Resume in
            s.transferDone = true
            if s.cancelled { return .none }
            if !s.headSettled {
                s.headSettled = true
                s.endDelivered = true
                let error: HTTPClientError
                switch result {
                case .failure(let e): error = e
                case .success: error = HTTPClientError(.network, message: "the transfer ended without a response head")
                }
                defer { s.headWaiter = nil }
                return .head(s.headWaiter, error)
            }
            s.end = result
            guard let waiter = s.bodyWaiter else { return .none }
            s.bodyWaiter = nil
            s.endDelivered = true
            switch result {
            case .success: return .body(waiter, .success(nil))
            case .failure(let e): return .body(waiter, .failure(e))
            }
        }
        switch resume {
        case .none: break
        case .head(let waiter, let error): waiter?.resume(returning: .failure(error))
        case .body(let waiter, let value): waiter.resume(returning: value)
        }
    }
}
