/// The monitoring alerts as a state machine without I/O: fed one sample per round, it measures each condition over
/// the window and says which alerts start firing and which clear.
///
/// Rates come from the difference between the newest sample and the newest one at least a window old (the oldest one
/// while aigw has run for less than a window), so they cover the last window and need no buckets. A rate measured
/// over fewer than `minSamples` calls or lookups counts as not breached: quiet traffic clears an alert rather than
/// keeping it on a handful of calls.
public struct MonitorEvaluator: Sendable {
    public enum Condition: String, CaseIterable, Sendable, Hashable {
        case queueLength = "queue_length"
        case errorRate = "error_rate"
        case cacheHitRate = "cache_hit_rate"
    }

    /// One condition's reading this round.
    public struct Measurement: Sendable, Hashable {
        public var condition: Condition
        /// Jobs for the queue, percent for the rates.
        public var value: Double
        public var threshold: Double
        /// Calls or lookups in the window; nil for the queue.
        public var samples: UInt64?
        public var breached: Bool
    }

    public enum Transition: Sendable, Hashable {
        case fired(Measurement)
        case cleared(Measurement)
    }

    private var history: [(millis: Int64, sample: MonitorSample)] = []
    public private(set) var firing: Set<Condition> = []

    public init() {}

    /// Takes this round's sample and answers every measurable condition and the transitions it causes.
    public mutating func observe(_ sample: MonitorSample, atMillis now: Int64, thresholds: MonitorThresholds)
        -> (measurements: [Measurement], transitions: [Transition])
    {
        history.append((now, sample))
        // Keep the newest sample at least a window old as the base, and everything after it.
        if let baseIndex = history.lastIndex(where: { $0.millis <= now - thresholds.windowMillis }), baseIndex > 0 {
            history.removeFirst(baseIndex)
        }
        let base = history[0].sample
        var measurements: [Measurement] = []
        if let length = sample.queueLength {
            measurements.append(Measurement(
                condition: .queueLength, value: Double(length), threshold: Double(thresholds.queueLength),
                samples: nil, breached: length > thresholds.queueLength))
        }
        let calls = Self.delta(sample.calls, base.calls)
        let errors = min(Self.delta(sample.errors, base.errors), calls)
        let errorRate = calls == 0 ? 0 : Double(errors) * 100 / Double(calls)
        measurements.append(Measurement(
            condition: .errorRate, value: errorRate, threshold: thresholds.errorRatePercent, samples: calls,
            breached: calls >= thresholds.minSamples && errorRate > thresholds.errorRatePercent))
        if let hits = sample.cacheHits, let misses = sample.cacheMisses {
            let windowHits = Self.delta(hits, base.cacheHits ?? 0)
            let lookups = windowHits + Self.delta(misses, base.cacheMisses ?? 0)
            let hitRate = lookups == 0 ? 100 : Double(windowHits) * 100 / Double(lookups)
            measurements.append(Measurement(
                condition: .cacheHitRate, value: hitRate, threshold: thresholds.cacheHitRatePercent, samples: lookups,
                breached: lookups >= thresholds.minSamples && hitRate < thresholds.cacheHitRatePercent))
        }
        var transitions: [Transition] = []
        for measurement in measurements {
            if measurement.breached, firing.insert(measurement.condition).inserted {
                transitions.append(.fired(measurement))
            } else if !measurement.breached, firing.remove(measurement.condition) != nil {
                transitions.append(.cleared(measurement))
            }
        }
        // A part that stopped reporting (nil) can no longer hold its alert on.
        for condition in firing where !measurements.contains(where: { $0.condition == condition }) {
            firing.remove(condition)
            transitions.append(.cleared(Measurement(
                condition: condition, value: 0, threshold: 0, samples: nil, breached: false)))
        }
        return (measurements, transitions)
    }

    /// A counter's growth; a counter that went backwards (its process restarted) counts from zero.
    private static func delta(_ now: UInt64, _ then: UInt64) -> UInt64 {
        now >= then ? now - then : now
    }
}
