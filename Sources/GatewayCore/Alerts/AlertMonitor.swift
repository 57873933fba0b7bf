import Synchronization

/// Evaluates the product spec's monitoring alerts inside aigw: every round it reads a `MonitorSample`, feeds the
/// `MonitorEvaluator`, and raises an alert when a condition starts (severity warning) and another when it clears
/// (severity info), each going to the store, the log and the webhook like budget alerts. While a condition fires it
/// is listed as active, refreshed each round so it lapses if this instance dies.
///
/// Each instance measures its own calls and cache lookups (the alert names the instance); the queue length is
/// shared, so with several instances each may report it.
public final class AlertMonitor: Sendable {
    private let alerts: AlertCenter
    private let thresholds: LiveSetting<MonitorThresholds>
    private let clock: any GatewayClock
    private let instanceID: String
    private let sample: @Sendable () async -> MonitorSample
    /// Rounds run one at a time (`run`); the lock only makes the state safe to share.
    private let state = Mutex(MonitorEvaluator())
    /// The firing alert per condition, refreshed in the store each round.
    private let raised = Mutex<[MonitorEvaluator.Condition: Alert]>([:])

    public init(
        alerts: AlertCenter, thresholds: LiveSetting<MonitorThresholds>, clock: any GatewayClock, instanceID: String,
        sample: @escaping @Sendable () async -> MonitorSample
    ) {
        self.alerts = alerts
        self.thresholds = thresholds
        self.clock = clock
        self.instanceID = instanceID
        self.sample = sample
    }

    /// Runs a round every `intervalMillis` until the task is cancelled.
    public func run(intervalMillis: Int64, sleep: @Sendable (Int64) async throws -> Void) async {
        while !Task.isCancelled {
            await evaluate(intervalMillis: intervalMillis)
            do {
                try await sleep(intervalMillis)
            } catch {
                return
            }
        }
    }

    /// One round; answers the measurements (for tests and Admin).
    @discardableResult
    public func evaluate(intervalMillis: Int64) async -> [MonitorEvaluator.Measurement] {
        let sample = await self.sample()
        let now = clock.unixMillis()
        let limits = thresholds.current
        let (measurements, transitions) = state.withLock {
            $0.observe(sample, atMillis: now, thresholds: limits)
        }
        for transition in transitions {
            switch transition {
            case .fired(let m):
                let alert = await alerts.raise(
                    kind: m.condition.rawValue, severity: .warning, subject: "instance:\(instanceID)",
                    message: Self.describe(m, limits, firing: true), details: details(m, limits, state: "firing"))
                raised.withLock { $0[m.condition] = alert }
            case .cleared(let m):
                let resolved = await alerts.raise(
                    kind: m.condition.rawValue, severity: .info, subject: "instance:\(instanceID)",
                    message: Self.describe(m, limits, firing: false), details: details(m, limits, state: "resolved"))
                raised.withLock { $0[m.condition] = nil }
                await alerts.clearActive(key: key(m.condition), resolved: resolved)
            }
        }
        // Still firing: keep the active entry alive, with this round's value.
        let expires = now + 3 * max(intervalMillis, 1_000)
        for m in measurements where m.breached {
            guard var alert = raised.withLock({ $0[m.condition] }) else { continue }
            alert.details = details(m, limits, state: "firing")
            await alerts.setActive(alert, key: key(m.condition), expiresAtMillis: expires)
        }
        return measurements
    }

    private func key(_ condition: MonitorEvaluator.Condition) -> String {
        "\(condition.rawValue):\(instanceID)"
    }

    private func details(_ m: MonitorEvaluator.Measurement, _ limits: MonitorThresholds, state: String)
        -> [String: String]
    {
        var details = [
            "state": state, "instance": instanceID, "value": Self.format(m.value), "threshold": Self.format(m.threshold),
            "window_seconds": String(limits.windowMillis / 1_000),
        ]
        if let samples = m.samples { details[m.condition == .errorRate ? "calls" : "lookups"] = String(samples) }
        return details
    }

    static func describe(_ m: MonitorEvaluator.Measurement, _ limits: MonitorThresholds, firing: Bool) -> String {
        let window = limits.windowMillis % 60_000 == 0
            ? "over the last \(limits.windowMillis / 60_000) min" : "over the last \(format(Double(limits.windowMillis) / 1_000)) s"
        switch (m.condition, firing) {
        case (.queueLength, true):
            return "queue length \(Int(m.value)) is above \(Int(m.threshold))"
        case (.queueLength, false):
            return "queue length is back to \(Int(m.value)) (threshold \(Int(limits.queueLength)))"
        case (.errorRate, true):
            return "error rate \(format(m.value))% \(window) is above \(format(m.threshold))%"
        case (.errorRate, false):
            return "error rate is back to \(format(m.value))% \(window) (threshold \(format(limits.errorRatePercent))%)"
        case (.cacheHitRate, true):
            return "cache hit rate \(format(m.value))% \(window) is below \(format(m.threshold))%"
        case (.cacheHitRate, false):
            return "cache hit rate is back to \(format(m.value))% \(window) "
                + "(threshold \(format(limits.cacheHitRatePercent))%)"
        }
    }

    /// One decimal at most: 12.5, 5, 0.3.
    public static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
