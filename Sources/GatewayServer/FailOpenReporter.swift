import GatewayCore
import Logging
import Synchronization

/// Counts checks allowed because the limit store was unreachable, and logs it at most once per interval so an outage
/// does not flood the log.
final class FailOpenReporter: Sendable {
    private let state = Mutex<(count: Int, lastLog: ContinuousClock.Instant?)>((0, nil))
    private let interval: Duration
    private let logger: Logger

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    var count: Int { state.withLock { $0.count } }

    func record(_ error: GatewayError) {
        let now = ContinuousClock.now
        let shouldLog = state.withLock { s -> Int? in
            s.count += 1
            guard s.lastLog.map({ now - $0 >= interval }) ?? true else { return nil }
            s.lastLog = now
            return s.count
        }
        if let total = shouldLog {
            logger.warning("limit store unreachable; allowing checks whose limits fail open",
                           metadata: ["error": "\(error.message)", "fail_open.total": "\(total)"])
        }
    }
}
