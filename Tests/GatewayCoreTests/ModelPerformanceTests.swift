import GatewayCore
import Testing

@Suite struct ModelPerformanceTests {
    func window(models: Int = 64) -> (ModelPerformance, ManualClock) {
        let clock = ManualClock(unixMillis: 1_767_225_600_000)
        var settings = ModelPerformance.Settings()
        settings.windowMillis = 15 * 60_000
        settings.bucketMillis = 60_000
        settings.maxModels = models
        return (ModelPerformance(settings: settings, clock: clock), clock)
    }

    @Test func percentilesErrorRateThroughputAndCost() throws {
        let (perf, _) = window()
        // 100 successes at 1..100 ms, 20 output tokens each, 1000 nano-dollars each; 25 failures.
        for ms in 1...100 {
            perf.record(.init(model: "gpt-4o", failed: false, latencyMillis: UInt64(ms), outputTokens: 20,
                              costNanos: 1_000))
        }
        for _ in 0..<25 { perf.record(.init(model: "gpt-4o", failed: true, latencyMillis: 5)) }
        let stats = try #require(perf.snapshot().first)
        #expect(stats.model == "gpt-4o")
        #expect(stats.requests == 125 && stats.errors == 25)
        #expect(stats.errorRate == 0.2)
        // Within one 25%-wide bucket of the true percentiles (50 and 95).
        let p50 = try #require(stats.latencyP50Millis)
        let p95 = try #require(stats.latencyP95Millis)
        #expect(p50 >= 50 / 1.25 && p50 <= 50 * 1.25, "p50 \(p50)")
        #expect(p95 >= 95 / 1.25 && p95 <= 95 * 1.25, "p95 \(p95)")
        #expect(stats.firstTokenP50Millis == nil, "no streams, no time to first token")
        // 2000 tokens over 5050 ms of successful requests.
        #expect(abs(stats.outputTokensPerSecond - 2000.0 * 1000 / 5050) < 1e-9)
        #expect(stats.costPerRequestNanos == 1_000 && stats.totalCostNanos == 100_000)
    }

    @Test func timeToFirstTokenComesFromStreamsOnly() throws {
        let (perf, _) = window()
        perf.record(.init(model: "claude", failed: false, latencyMillis: 400, firstTokenMillis: 100, outputTokens: 40))
        perf.record(.init(model: "claude", failed: false, latencyMillis: 600))
        let stats = try #require(perf.snapshot().first)
        let ttft = try #require(stats.firstTokenP95Millis)
        #expect(ttft > 80 && ttft <= 125, "ttft \(ttft)")
        #expect(stats.outputTokensPerSecond == 40.0 * 1000 / 1000)
    }

    @Test func oldBucketsLeaveTheWindow() {
        let (perf, clock) = window()
        perf.record(.init(model: "a", failed: false, latencyMillis: 10))
        clock.advance(millis: 10 * 60_000)
        perf.record(.init(model: "a", failed: true, latencyMillis: 10))
        #expect(perf.snapshot().first?.requests == 2)
        // 15 minutes after the first sample its bucket is out; the second is 5 minutes old.
        clock.advance(millis: 5 * 60_000)
        #expect(perf.snapshot().first?.requests == 1)
        #expect(perf.snapshot().first?.errors == 1)
        clock.advance(millis: 10 * 60_000)
        #expect(perf.snapshot().isEmpty)
        // A reused slot starts empty.
        perf.record(.init(model: "b", failed: false, latencyMillis: 10))
        #expect(perf.snapshot().map(\.model) == ["b"])
    }

    @Test func modelsPastTheCapFoldIntoOther() {
        let (perf, _) = window(models: 3)
        for i in 0..<10 { perf.record(.init(model: "m\(i)", failed: false, latencyMillis: 1)) }
        perf.record(.init(model: "m0", failed: false, latencyMillis: 1))
        let stats = perf.snapshot()
        #expect(stats.count == 4)
        #expect(stats.first { $0.model == ModelPerformance.otherModel }?.requests == 7)
        #expect(stats.first { $0.model == "m0" }?.requests == 2)
        // Busiest first.
        #expect(stats.first?.model == ModelPerformance.otherModel)
    }

    @Test func latencyBucketsBoundsAndEmpty() {
        var buckets = LatencyBuckets()
        #expect(buckets.percentile(0.5) == nil)
        buckets.add(0)
        buckets.add(UInt64.max)
        #expect(buckets.count == 2)
        #expect(buckets.percentile(0.5)! <= 1)
        #expect(buckets.percentile(1.0)! == LatencyBuckets.bounds.last!)
    }
}
