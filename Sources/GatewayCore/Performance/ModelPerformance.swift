import Synchronization

/// Per-model performance over a sliding window: latency and time-to-first-token percentiles, error rate, output
/// tokens per second, cost per request and request count, for `Admin.GetModelStats` and `aigwctl models`.
///
/// Memory is bounded whatever the traffic: the window is a ring of fixed time buckets (by default 15 one-minute
/// buckets), each holding per model a fixed-size latency histogram (`LatencyBuckets`) and a few sums. At most
/// `maxModels` models are tracked per bucket; the rest are folded into the model named `other`. Percentiles are read
/// from the histograms, so they are accurate to a bucket boundary (about 12%), which is what an operator needs to
/// compare models, not an exact order statistic.
///
/// The statistics are this process's own (each instance reports what it served); time comes from the injected clock.
public final class ModelPerformance: Sendable {
    /// Tuning; the defaults suit `aigwctl models`.
    public struct Settings: Sendable, Hashable {
        /// How far back the statistics reach.
        public var windowMillis: Int64 = 15 * 60_000
        /// The granularity at which old data leaves the window.
        public var bucketMillis: Int64 = 60_000
        /// Distinct models tracked per bucket before new ones fold into `other`.
        public var maxModels = 64

        public init() {}
    }

    /// The model name that collects models past `maxModels`.
    public static let otherModel = "other"

    /// One finished request (or failed attempt) as the window sees it.
    public struct Sample: Sendable, Hashable {
        public var model: String
        public var failed: Bool
        /// Time until the answer was complete (for a success) or the attempt gave up (for a failure).
        public var latencyMillis: UInt64
        /// Streams only.
        public var firstTokenMillis: UInt64?
        public var outputTokens: UInt64
        public var costNanos: Int64

        public init(
            model: String, failed: Bool, latencyMillis: UInt64, firstTokenMillis: UInt64? = nil,
            outputTokens: UInt64 = 0, costNanos: Int64 = 0
        ) {
            self.model = model
            self.failed = failed
            self.latencyMillis = latencyMillis
            self.firstTokenMillis = firstTokenMillis
            self.outputTokens = outputTokens
            self.costNanos = costNanos
        }
    }

    /// A model's statistics over the window.
    public struct Stats: Sendable, Hashable {
        public var model: String
        public var requests: UInt64
        public var errors: UInt64
        /// Percentiles of successful requests; nil without any.
        public var latencyP50Millis: Double?
        public var latencyP95Millis: Double?
        /// Percentiles of streams' time to first token; nil without any stream.
        public var firstTokenP50Millis: Double?
        public var firstTokenP95Millis: Double?
        /// Output tokens of successful requests divided by their total latency; 0 without any.
        public var outputTokensPerSecond: Double
        /// Cost of the window's requests divided by the successful ones (what an answer costs); 0 without any.
        public var costPerRequestNanos: Int64
        public var totalCostNanos: Int64

        public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
    }

    private struct Aggregate {
        var requests: UInt64 = 0
        var errors: UInt64 = 0
        var latency = LatencyBuckets()
        var firstToken = LatencyBuckets()
        var outputTokens: UInt64 = 0
        /// Latency of the successful requests, which `outputTokens` were produced in.
        var successMillis: UInt64 = 0
        var costNanos: Int64 = 0

        mutating func add(_ s: Sample) {
            requests += 1
            costNanos += s.costNanos
            if s.failed {
                errors += 1
                return
            }
            latency.add(s.latencyMillis)
            if let ttft = s.firstTokenMillis { firstToken.add(ttft) }
            outputTokens += s.outputTokens
            successMillis += s.latencyMillis
        }

        mutating func merge(_ o: Aggregate) {
            requests += o.requests
            errors += o.errors
            latency.merge(o.latency)
            firstToken.merge(o.firstToken)
            outputTokens += o.outputTokens
            successMillis += o.successMillis
            costNanos += o.costNanos
        }
    }

    private struct Bucket {
        /// Which bucket of time this is (`unixMillis / bucketMillis`); a slot whose index is stale is reused.
        var index: Int64
        var models: [String: Aggregate] = [:]
    }

    public let settings: Settings
    private let clock: any GatewayClock
    private let ring: Mutex<[Bucket]>

    public init(settings: Settings = Settings(), clock: any GatewayClock) {
        var settings = settings
        settings.bucketMillis = max(1, settings.bucketMillis)
        settings.windowMillis = max(settings.bucketMillis, settings.windowMillis)
        settings.maxModels = max(1, settings.maxModels)
        self.settings = settings
        self.clock = clock
        let slots = Int((settings.windowMillis + settings.bucketMillis - 1) / settings.bucketMillis)
        ring = Mutex(Array(repeating: Bucket(index: -1), count: slots))
    }

    public func record(_ sample: Sample) {
        let index = clock.unixMillis() / settings.bucketMillis
        let maxModels = settings.maxModels
        ring.withLock { ring in
            let slot = Int(index % Int64(ring.count))
            if ring[slot].index != index { ring[slot] = Bucket(index: index) }
            var model = sample.model
            if ring[slot].models[model] == nil && ring[slot].models.count >= maxModels { model = Self.otherModel }
            ring[slot].models[model, default: Aggregate()].add(sample)
        }
    }

    /// Every model seen in the window, busiest first (ties by name).
    public func snapshot() -> [Stats] {
        let now = clock.unixMillis() / settings.bucketMillis
        var totals: [String: Aggregate] = [:]
        ring.withLock { ring in
            for bucket in ring where bucket.index > now - Int64(ring.count) && bucket.index <= now {
                for (model, aggregate) in bucket.models { totals[model, default: Aggregate()].merge(aggregate) }
            }
        }
        return totals.map { model, a in
            let successes = a.requests - a.errors
            return Stats(
                model: model, requests: a.requests, errors: a.errors,
                latencyP50Millis: a.latency.percentile(0.50), latencyP95Millis: a.latency.percentile(0.95),
                firstTokenP50Millis: a.firstToken.percentile(0.50), firstTokenP95Millis: a.firstToken.percentile(0.95),
                outputTokensPerSecond: a.successMillis == 0 ? 0 : Double(a.outputTokens) * 1000 / Double(a.successMillis),
                costPerRequestNanos: successes == 0 ? 0 : a.costNanos / Int64(successes),
                totalCostNanos: a.costNanos)
        }.sorted { ($0.requests, $1.model) > ($1.requests, $0.model) }
    }
}

/// A fixed-size histogram of milliseconds with boundaries growing by 25% from 1 ms to about 21 minutes: 64 counters,
/// so a percentile read from it is within one bucket (at most 25% wide) of the true value.
public struct LatencyBuckets: Sendable, Hashable {
    /// Upper bounds in milliseconds; the last bucket takes everything above the one before it.
    public static let bounds: [Double] = (0..<64).map { 1.25.power($0) }

    private var counts = [UInt32](repeating: 0, count: 64)
    public private(set) var count: UInt64 = 0

    public init() {}

    public mutating func add(_ millis: UInt64) {
        let value = Double(millis)
        var low = 0
        var high = Self.bounds.count - 1
        while low < high {
            let mid = (low + high) / 2
            if Self.bounds[mid] >= value { high = mid } else { low = mid + 1 }
        }
        counts[low] &+= 1
        count += 1
    }

    public mutating func merge(_ other: LatencyBuckets) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        count += other.count
    }

    /// The value below which `q` of the samples fall, interpolated linearly inside its bucket; nil when empty.
    public func percentile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(1, (q * Double(count)).rounded(.up))
        var seen = 0.0
        for (i, c) in counts.enumerated() where c > 0 {
            let n = Double(c)
            if seen + n >= rank {
                let lower = i == 0 ? 0 : Self.bounds[i - 1]
                return lower + (Self.bounds[i] - lower) * (rank - seen) / n
            }
            seen += n
        }
        return Self.bounds[Self.bounds.count - 1]
    }
}

extension Double {
    fileprivate func power(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= self }
        return result
    }
}
