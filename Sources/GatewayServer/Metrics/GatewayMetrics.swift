import GatewayCore
import GatewayRedis
import GatewayWire
import Prometheus
import Synchronization

/// The Prometheus registry of one aigw process and the typed entry points every part reports through.
///
/// Hot paths (RPC accounting, CheckLimit) use handles resolved once when the router is built (`rpc(_:)`,
/// `limitHandles`): a call's status and latency land in its thread's shard of `RPCMethodMetrics` (an uncontended
/// lock), and a check costs an atomic increment or two. Everything else looks its
/// series up at the time (a lock and a dictionary lookup), which is cheap next to an upstream call.
///
/// Label cardinality is bounded: model labels go through `ModelLabels` (a capped set, the rest fold into `other`);
/// endpoints, providers, status codes, levels and categories are closed sets; user and org ids are never labels.
///
/// Parts that keep their own numbers (queue depth, cache size) register collectors (`registerGauge`,
/// `registerCounter`) that run at scrape time, so they cost nothing between scrapes.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let models: ModelLabels
    private let gaugeCollectors = Mutex<[GaugeCollector]>([])
    private let counterCollectors = Mutex<[CounterCollector]>([])
    private let scrapeLock = ScrapeLock()
    /// Every method's calls and latency, kept outside the registry in per-thread shards (`RPCMethodMetrics`) and
    /// written after the registry's text.
    private let rpcMethods = Mutex<[RPCMethodMetrics]>([])
    /// Counters `usage` and `cacheLookup` resolved before, by name and label values (bounded like the labels).
    private let resolved = Mutex<[ResolvedKey: Counter]>([:])

    private struct ResolvedKey: Hashable {
        var name: String
        var values: [String]
    }

    /// RPC latency buckets: CheckLimit answers in microseconds, Complete in seconds.
    static let rpcBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60),
    ]
    /// Upstream latency buckets, from a fast cached answer to a long generation.
    static let upstreamBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]

    /// - Parameter maxModels: distinct model label values before the rest are reported as `other`.
    public init(version: String = AigwVersion.current, startUnixMillis: Int64, maxModels: Int = 50) {
        models = ModelLabels(capacity: maxModels)
        registry.gauge(
            name: MetricName.buildInfo, labels: [("version", version)], help: "Always 1; the running aigw version"
        ).set(to: 1)
        registry.gauge(name: MetricName.startTime, help: "When this process started, seconds since the Unix epoch")
            .set(to: Double(startUnixMillis) / 1000)
    }

    // MARK: RPCs

    /// The series of one method, resolved once per method when the router is built.
    public func rpc(_ method: RPCMethodDescriptor) -> RPCMethodMetrics {
        let name = "\(method.service)/\(method.name)"
        return rpcMethods.withLock { methods in
            if let existing = methods.first(where: { $0.method == name }) { return existing }
            let created = RPCMethodMetrics(method: name, buckets: Self.rpcBuckets)
            methods.append(created)
            return created
        }
    }

    // MARK: Upstream and completions

    /// A Complete or Stream answered: every upstream attempt it made, and the stream's time to first token.
    public func completion(_ outcome: CompletionOutcome) {
        attempts(outcome.attempts)
        if let ttft = outcome.firstTokenMillis {
            registry.durationHistogram(
                name: MetricName.firstTokenDuration, labels: [("model", models.label(outcome.completion.model))],
                buckets: Self.upstreamBuckets, help: "Streams: time from the request to the first token"
            ).record(.milliseconds(ttft))
        }
    }

    /// A Complete or Stream failed: every upstream attempt it made (none when it failed before calling upstream).
    public func completion(_ failure: CompletionFailure) {
        attempts(failure.attempts)
    }

    private func attempts(_ attempts: [AttemptRecord]) {
        var previous: AttemptRecord?
        for attempt in attempts {
            let labels = [("provider", attempt.provider.rawValue), ("model", models.label(attempt.model))]
            let category = attempt.error?.category
            if category != .cancelled {
                registry.counter(
                    name: MetricName.upstreamRequests, labels: labels + [("result", category == nil ? "ok" : "error")],
                    help: "Upstream provider calls (attempts, retries included) by result"
                ).increment()
                registry.durationHistogram(
                    name: MetricName.upstreamDuration, labels: labels, buckets: Self.upstreamBuckets,
                    help: "Upstream provider call latency, per attempt"
                ).record(.milliseconds(attempt.latencyMillis))
            }
            if let category {
                registry.counter(
                    name: MetricName.upstreamErrors, labels: labels + [("category", Self.snakeCase(category.rawValue))],
                    help: "Failed upstream attempts by error category"
                ).increment()
            }
            if let previous {
                if previous.provider == attempt.provider && previous.model == attempt.model {
                    registry.counter(
                        name: MetricName.upstreamRetries, labels: labels,
                        help: "Upstream attempts that retried the same provider and model"
                    ).increment()
                } else {
                    registry.counter(
                        name: MetricName.upstreamFallbacks, labels: labels,
                        help: "Upstream attempts that fell back to this provider and model after another failed"
                    ).increment()
                }
            }
            previous = attempt
        }
    }

    /// "invalidRequest" -> "invalid_request": label values in the style of the metric names.
    static func snakeCase(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isUppercase {
                out += "_" + c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    // MARK: Usage

    /// A usage record was newly recorded (Complete, Stream or TrackUsage): its tokens and cost.
    public func usage(_ record: UsageRecord) {
        let labels = [("model", models.label(record.model)), ("endpoint", record.endpoint.rawValue)]
        counter(
            name: MetricName.usageRecords, labels: labels + [("cache_hit", record.cacheHit ? "true" : "false")],
            help: "Requests whose usage was recorded"
        ).increment()
        for (kind, count) in [
            ("input", record.usage.input), ("cached_input", record.usage.cachedInput),
            ("cache_write", record.usage.cacheWrite), ("output", record.usage.output),
        ] where count > 0 {
            counter(
                name: MetricName.tokens, labels: labels + [("kind", kind)], help: "Tokens recorded, by kind"
            ).increment(by: Int64(clamping: count))
        }
        if record.costNanos > 0 {
            counter(name: MetricName.cost, labels: labels, help: "Cost recorded, in US dollars")
                .increment(by: Double(record.costNanos) / 1e9)
        }
    }

    /// `registry.counter`, remembered: the registry validates the name and hashes every label on each call, which
    /// cost a cache hit (a usage record and a lookup per call) several percent of its CPU.
    private func counter(name: String, labels: [(String, String)], help: String) -> Counter {
        let key = ResolvedKey(name: name, values: labels.map(\.1))
        if let counter = resolved.withLock({ $0[key] }) { return counter }
        let counter = registry.counter(name: name, labels: labels, help: help)
        resolved.withLock { $0[key] = counter }
        return counter
    }

    // MARK: Rate limits

    /// CheckLimit's series for every endpoint, resolved once.
    public func limitHandles() -> LimitMetrics { LimitMetrics(registry: registry) }

    // MARK: Redis and alerts

    /// What `RedisClient`'s observer reports.
    public func redis(_ event: RedisEvent) {
        if event == .reconnected {
            registry.counter(name: MetricName.redisReconnects, help: "Redis connections set up again after a loss")
                .increment()
        } else {
            registry.counter(
                name: MetricName.redisErrors, labels: [("event", event.rawValue)],
                help: "Redis connection failures, losses, command timeouts and error replies"
            ).increment()
        }
    }

    /// An alert was raised (budget thresholds today).
    public func alertRaised(kind: String) {
        registry.counter(name: MetricName.alertsRaised, labels: [("kind", kind)], help: "Alerts raised, by kind")
            .increment()
    }

    // MARK: Entry points for the response cache

    /// The response cache looked `endpoint` up: a hit or a miss.
    public func cacheLookup(endpoint: Endpoint, hit: Bool) {
        counter(
            name: MetricName.cacheLookups, labels: [("endpoint", endpoint.rawValue), ("result", hit ? "hit" : "miss")],
            help: "Response cache lookups by result"
        ).increment()
    }

    /// The cache's stores by endpoint and its size, read from the store's statistics at each scrape (shared by every
    /// instance on one Redis, so aggregate them with `max`).
    public func registerCache(statistics read: @escaping @Sendable () async -> [Endpoint: CacheStatistics]?) {
        let statistics = ScrapeSnapshot(read)
        registerCounter(
            name: MetricName.cacheStores, help: "Answers stored in the response cache", labels: ["endpoint"]
        ) {
            guard let stats = await statistics.value() else { return [] }
            return stats.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                (labelValues: [$0.key.rawValue], total: Double($0.value.stores))
            }
        }
        registerGauge(name: MetricName.cacheBytes, help: "Bytes held by the response cache") {
            guard let stats = await statistics.value() else { return [] }
            return [(labelValues: [], value: Double(stats.values.reduce(0) { $0 + $1.bytes }))]
        }
        registerGauge(name: MetricName.cacheEntries, help: "Entries held by the response cache") {
            guard let stats = await statistics.value() else { return [] }
            return [(labelValues: [], value: Double(stats.values.reduce(0) { $0 + $1.entries }))]
        }
    }

    // MARK: Entry points for the queue

    /// A job was queued at `priority` (`critical` … `background`); a duplicate idempotency key queues nothing.
    public func queueEnqueued(priority: String) {
        registry.counter(
            name: MetricName.queueEnqueued, labels: [("priority", priority)], help: "Jobs queued, by priority"
        ).increment()
    }

    /// The queue's gauges and its dead-letter counter, read from the store's statistics at each scrape (shared by
    /// every instance on one Redis, so sum them with `max`, not `sum`, across instances).
    public func registerQueue(stats read: @escaping @Sendable () async -> QueueStats?) {
        // One read of the store per scrape serves the three series.
        let stats = ScrapeSnapshot(read)
        registerGauge(name: MetricName.queueDepth, help: "Jobs waiting to run, by priority", labels: ["priority"]) {
            guard let stats = await stats.value() else { return [] }
            return JobPriority.allCases.map { (labelValues: [$0.rawValue], value: Double(stats[$0].queued)) }
        }
        registerGauge(name: MetricName.queueDeadLetters, help: "Jobs in the dead-letter list") {
            guard let stats = await stats.value() else { return [] }
            return [(labelValues: [], value: Double(stats.total.dead))]
        }
        registerCounter(
            name: MetricName.queueDeadLettered, help: "Jobs ever moved to the dead-letter list, by priority",
            labels: ["priority"]
        ) {
            guard let stats = await stats.value() else { return [] }
            return JobPriority.allCases.map { (labelValues: [$0.rawValue], total: Double(stats[$0].deadTotal)) }
        }
    }

    // MARK: Collectors evaluated at scrape time

    /// Registers a gauge whose series `collect` returns at each scrape: one value per label-value tuple, in the order
    /// of `labels`. Series that `collect` no longer returns disappear. `collect` may suspend (a Redis read) but should
    /// answer within a second, as the scraper waits for it; e.g. the queue registers `aigw_queue_depth` with
    /// `labels: ["priority"]`.
    public func registerGauge(
        name: String, help: String, labels: [String] = [],
        collect: @escaping @Sendable () async -> [(labelValues: [String], value: Double)]
    ) {
        gaugeCollectors.withLock { $0.append(GaugeCollector(name: name, help: help, labels: labels, collect: collect)) }
    }

    /// Registers a counter fed from a monotonic total kept elsewhere: at each scrape the counter grows by how much
    /// `collect`'s totals grew since the previous scrape (a total that went down, after a reset, is taken as new).
    public func registerCounter(
        name: String, help: String, labels: [String] = [],
        collect: @escaping @Sendable () async -> [(labelValues: [String], total: Double)]
    ) {
        counterCollectors.withLock {
            $0.append(CounterCollector(name: name, help: help, labels: labels, collect: collect))
        }
    }

    /// The text exposition, after running the collectors. Concurrent scrapes run them one at a time, so a counter
    /// collector never adds the same growth twice.
    public func exposition() async -> [UInt8] {
        await scrapeLock.run {
            let gauges = gaugeCollectors.withLock { $0 }
            for collector in gauges { await collector.update(registry) }
            let counters = counterCollectors.withLock { $0 }
            for collector in counters { await collector.update(registry) }
        }
        var text = registry.emitToBuffer()
        RPCMethodMetrics.emit(rpcMethods.withLock { $0 }, into: &text)
        return text
    }
}

/// CheckLimit's series, per endpoint, resolved once: a check costs one or two atomic increments.
public struct LimitMetrics: Sendable {
    final class Handles: Sendable {
        let allowed: Counter
        let denied: Counter
        let deniedBy: [LimitLevel: Counter]
        let shadowDenied: Counter
        let failOpen: Counter

        init(_ registry: PrometheusCollectorRegistry, _ endpoint: Endpoint) {
            let e = ("endpoint", endpoint.rawValue)
            let checksHelp = "CheckLimit verdicts by endpoint and result"
            allowed = registry.counter(
                name: MetricName.rateLimitChecks, labels: [e, ("result", "allowed")], help: checksHelp)
            denied = registry.counter(
                name: MetricName.rateLimitChecks, labels: [e, ("result", "denied")], help: checksHelp)
            deniedBy = Dictionary(uniqueKeysWithValues: LimitLevel.allCases.map { level in
                (level, registry.counter(
                    name: MetricName.rateLimitDenials, labels: [e, ("level", level.rawValue)],
                    help: "Denied checks by the level that denied first"))
            })
            shadowDenied = registry.counter(
                name: MetricName.rateLimitShadowDenials, labels: [e],
                help: "Checks a shadow-mode limit would have denied")
            failOpen = registry.counter(
                name: MetricName.rateLimitFailOpen, labels: [e],
                help: "Checks allowed uncounted because the limit store was unreachable")
        }
    }

    private let handles: [Endpoint: Handles]

    init(registry: PrometheusCollectorRegistry) {
        handles = Dictionary(uniqueKeysWithValues: Endpoint.allCases.map { ($0, Handles(registry, $0)) })
    }

    public func record(_ endpoint: Endpoint, _ decision: RateLimiter.Decision) {
        guard let h = handles[endpoint] else { return }
        if decision.allowed {
            h.allowed.increment()
        } else {
            h.denied.increment()
            if let level = decision.deniedBy { h.deniedBy[level]?.increment() }
        }
        if decision.shadowDenied { h.shadowDenied.increment() }
        if decision.degraded { h.failOpen.increment() }
    }
}

/// A gauge family filled at scrape time.
private final class GaugeCollector: Sendable {
    let name: String
    let help: String
    let labels: [String]
    let collect: @Sendable () async -> [(labelValues: [String], value: Double)]
    /// Series set at the previous scrape, so those that vanished are removed.
    let live = Mutex<[[String]: Gauge]>([:])

    init(name: String, help: String, labels: [String], collect: @escaping @Sendable () async -> [(labelValues: [String], value: Double)]) {
        self.name = name
        self.help = help
        self.labels = labels
        self.collect = collect
    }

    func update(_ registry: PrometheusCollectorRegistry) async {
        var seen: [[String]: Gauge] = [:]
        for (values, value) in await collect() where values.count == labels.count {
            let gauge = registry.gauge(name: name, labels: Array(zip(labels, values)), help: help)
            gauge.set(value)
            seen[values] = gauge
        }
        let gone = live.withLock { live in
            defer { live = seen }
            return live.filter { seen[$0.key] == nil }.map(\.value)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }
}

/// A counter family fed from totals kept elsewhere.
private final class CounterCollector: Sendable {
    let name: String
    let help: String
    let labels: [String]
    let collect: @Sendable () async -> [(labelValues: [String], total: Double)]
    let last = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labels: [String], collect: @escaping @Sendable () async -> [(labelValues: [String], total: Double)]) {
        self.name = name
        self.help = help
        self.labels = labels
        self.collect = collect
    }

    func update(_ registry: PrometheusCollectorRegistry) async {
        for (values, total) in await collect() where values.count == labels.count {
            let previous = last.withLock { last in
                defer { last[values] = total }
                return last[values] ?? 0
            }
            let delta = total >= previous ? total - previous : total
            guard delta > 0 || previous == 0 else { continue }
            registry.counter(name: name, labels: Array(zip(labels, values)), help: help).increment(by: delta)
        }
    }
}

extension PrometheusCollectorRegistry {
    /// The registry's descriptor-based calls with aigw's full metric names (already `aigw_..._unit`).
    fileprivate static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    fileprivate func counter(name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    fileprivate func gauge(name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    fileprivate func durationHistogram(
        name: String, labels: [(String, String)] = [], buckets: [Duration], help: String
    ) -> DurationHistogram {
        makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }
}

/// Runs scrapes' collector passes one after another.
private actor ScrapeLock {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async -> Void) async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        await body()
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A value read once per scrape and shared by the collectors that need it: collectors run one after another within a
/// scrape (see `exposition`), so a value younger than a second is this scrape's.
final class ScrapeSnapshot<Value: Sendable>: Sendable {
    private let read: @Sendable () async -> Value?
    private let last = Mutex<(at: ContinuousClock.Instant, value: Value?)?>(nil)

    init(_ read: @escaping @Sendable () async -> Value?) {
        self.read = read
    }

    func value() async -> Value? {
        let now = ContinuousClock.now
        if let last = last.withLock({ $0 }), now - last.at < .seconds(1) { return last.value }
        let value = await read()
        last.withLock { $0 = (now, value) }
        return value
    }
}
