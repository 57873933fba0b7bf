import Foundation
import GatewayCore
@testable import GatewayServer
import GatewayWire
import Synchronization
import Testing

/// The registry's typed entry points and collectors, read back from the text exposition; and the dashboard and
/// docs kept to the metric names aigw defines.
@Suite struct GatewayMetricsTests {
    static func text(_ metrics: GatewayMetrics) async -> String {
        String(decoding: await metrics.exposition(), as: UTF8.self)
    }

    /// The value of the one line that starts with `series` (a name with its labels, as exposed).
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func modelLabelsAreCapped() async {
        let metrics = GatewayMetrics(startUnixMillis: 0, maxModels: 2)
        for model in ["a", "b", "c", "d", "a", String(repeating: "x", count: 200)] {
            metrics.usage(UsageRecord(
                requestID: UUID().uuidString, userID: "u", orgID: "", endpoint: .chat, provider: .openai, model: model,
                usage: TokenUsage(input: 1), costNanos: 1_000_000_000, occurredAtMillis: 0))
        }
        let text = await Self.text(metrics)
        #expect(Self.value(text, #"aigw_tokens_total{model="a",endpoint="chat",kind="input"}"#) == 2)
        #expect(Self.value(text, #"aigw_tokens_total{model="b",endpoint="chat",kind="input"}"#) == 1)
        #expect(Self.value(text, #"aigw_tokens_total{model="other",endpoint="chat",kind="input"}"#) == 3)
        #expect(Self.value(text, #"aigw_cost_usd_total{model="other",endpoint="chat"}"#) == 3)
        #expect(!text.contains(#"model="c""#))
    }

    @Test func cacheAndQueueEntryPoints() async {
        let metrics = GatewayMetrics(startUnixMillis: 0)
        metrics.cacheLookup(endpoint: .search, hit: true)
        metrics.cacheLookup(endpoint: .search, hit: false)
        metrics.cacheLookup(endpoint: .search, hit: true)
        let cacheStats: [Endpoint: CacheStatistics] = [.search: CacheStatistics(stores: 3, entries: 2, bytes: 512)]
        metrics.registerCache { cacheStats }
        metrics.queueEnqueued(priority: "high")
        var stats = QueueStats()
        stats.byPriority[.low] = QueueStats.Counts()
        stats.byPriority[.low]?.queued = 4
        stats.byPriority[.low]?.dead = 2
        stats.byPriority[.low]?.deadTotal = 5
        let snapshot = stats
        metrics.registerQueue { snapshot }
        let text = await Self.text(metrics)
        #expect(Self.value(text, #"aigw_cache_lookups_total{endpoint="search",result="hit"}"#) == 2)
        #expect(Self.value(text, #"aigw_cache_lookups_total{endpoint="search",result="miss"}"#) == 1)
        #expect(Self.value(text, #"aigw_cache_stores_total{endpoint="search"}"#) == 3)
        #expect(Self.value(text, #"aigw_cache_bytes"#) == 512)
        #expect(Self.value(text, #"aigw_cache_entries"#) == 2)
        #expect(Self.value(text, #"aigw_queue_enqueued_total{priority="high"}"#) == 1)
        #expect(Self.value(text, #"aigw_queue_depth{priority="low"}"#) == 4)
        #expect(Self.value(text, #"aigw_queue_depth{priority="critical"}"#) == 0)
        #expect(Self.value(text, #"aigw_queue_dead_letters"#) == 2)
        #expect(Self.value(text, #"aigw_queue_dead_letters_total{priority="low"}"#) == 5)
    }

    @Test func gaugeCollectorsRunAtScrapeTimeAndDropVanishedSeries() async {
        let metrics = GatewayMetrics(startUnixMillis: 0)
        let depth = ManualValue<[(String, Double)]>([("high", 3), ("low", 7)])
        metrics.registerGauge(name: MetricName.queueDepth, help: "Jobs waiting", labels: ["priority"]) {
            depth.get().map { (labelValues: [$0.0], value: $0.1) }
        }
        var text = await Self.text(metrics)
        #expect(Self.value(text, #"aigw_queue_depth{priority="high"}"#) == 3)
        #expect(Self.value(text, #"aigw_queue_depth{priority="low"}"#) == 7)
        depth.set([("high", 1)])
        text = await Self.text(metrics)
        #expect(Self.value(text, #"aigw_queue_depth{priority="high"}"#) == 1)
        #expect(!text.contains(#"priority="low""#))
    }

    @Test func counterCollectorsAddWhatTheTotalGrew() async {
        let metrics = GatewayMetrics(startUnixMillis: 0)
        let totals = ManualValue<[(String, Double)]>([("", 5.0)])
        metrics.registerCounter(name: "aigw_test_things_total", help: "Things") {
            totals.get().map { (labelValues: [String](), total: $0.1) }
        }
        let first = await Self.text(metrics)
        #expect(Self.value(first, "aigw_test_things_total") == 5)
        totals.set([("", 8)])
        let second = await Self.text(metrics)
        #expect(Self.value(second, "aigw_test_things_total") == 8)
        // The source restarted from zero: what it counted since is added, the counter never goes down.
        totals.set([("", 2)])
        let third = await Self.text(metrics)
        #expect(Self.value(third, "aigw_test_things_total") == 10)
    }

    @Test func collectorsMaySuspendAndConcurrentScrapesCountGrowthOnce() async {
        let metrics = GatewayMetrics(startUnixMillis: 0)
        metrics.registerGauge(name: MetricName.queueDeadLetters, help: "Dead letters kept") {
            // As a Redis read would.
            try? await Task.sleep(for: .milliseconds(5))
            return [(labelValues: [], value: 4)]
        }
        metrics.registerCounter(name: "aigw_test_events_total", help: "Events") {
            await Task.yield()
            return [(labelValues: [], total: 6)]
        }
        let texts = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { await Self.text(metrics) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(texts.allSatisfy { Self.value($0, "aigw_queue_dead_letters") == 4 })
        let last = await Self.text(metrics)
        #expect(Self.value(last, "aigw_test_events_total") == 6)
    }

    @Test func rpcCodesAndRetriesAndFallbacks() async {
        let metrics = GatewayMetrics(startUnixMillis: 0)
        let rpc = metrics.rpc(Aigw_V1_Gateway.complete.descriptor)
        rpc.record(.ok, .milliseconds(3))
        rpc.record(.unavailable, .milliseconds(30))
        rpc.record(.unavailable, .milliseconds(30))
        let error = ProviderError(.serverError, "boom", provider: .openai, model: "gpt-4o")
        metrics.completion(CompletionOutcome(
            completion: Completion(
                id: "x", provider: .openai, model: "gpt-4o-mini", content: "", finishReason: .stop, usage: .zero),
            attempts: [
                AttemptRecord(provider: .openai, model: "gpt-4o", error: error, latencyMillis: 10),
                AttemptRecord(provider: .openai, model: "gpt-4o", error: error, latencyMillis: 10),
                AttemptRecord(provider: .openai, model: "gpt-4o-mini", error: nil, latencyMillis: 10),
            ], fallbackUsed: true, latencyMillis: 30))
        let text = await Self.text(metrics)
        let method = #"method="aigw.v1.Gateway/Complete""#
        #expect(Self.value(text, "aigw_rpc_requests_total{\(method),code=\"OK\"}") == 1)
        #expect(Self.value(text, "aigw_rpc_requests_total{\(method),code=\"UNAVAILABLE\"}") == 2)
        #expect(Self.value(text, "aigw_rpc_duration_seconds_count{\(method)}") == 3)
        #expect(Self.value(text, #"aigw_upstream_retries_total{provider="openai",model="gpt-4o"}"#) == 1)
        #expect(Self.value(text, #"aigw_upstream_fallbacks_total{provider="openai",model="gpt-4o-mini"}"#) == 1)
        #expect(Self.value(
            text, #"aigw_upstream_errors_total{provider="openai",model="gpt-4o",category="server_error"}"#) == 2)
    }

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func dashboardUsesOnlyDefinedMetricsAndDocsListThemAll() async throws {
        let dashboard = try String(contentsOf: Self.root.appendingPathComponent("docs/grafana-aigw.json"), encoding: .utf8)
        _ = try JSONSerialization.jsonObject(with: Data(dashboard.utf8))
        let used = Set(dashboard.matches(of: /aigw_[a-z_]+/).map { match in
            String(match.output).replacing(/_(bucket|count|sum)$/, with: "")
        })
        for name in used { #expect(MetricName.all.contains(name), "the dashboard uses \(name), which aigw lacks") }
        let operations = try String(
            contentsOf: Self.root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        for name in MetricName.all {
            #expect(operations.contains("`\(name)`"), "docs/operations.md does not document \(name)")
        }
    }
}

/// A value a collector reads, changed by the test between scrapes.
private final class ManualValue<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
    func get() -> T { value.withLock { $0 } }
    func set(_ new: T) { value.withLock { $0 = new } }
}
