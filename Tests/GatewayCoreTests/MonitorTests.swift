import GatewayCore
import Synchronization
import Testing

/// The monitoring alerts: the evaluator's windows and transitions without I/O, then `AlertMonitor` raising, listing
/// and clearing alerts through a real `AlertCenter` on an injected clock.
@Suite struct MonitorTests {
    static func thresholds(window: Int64 = 10_000, minSamples: UInt64 = 10) -> MonitorThresholds {
        var t = MonitorThresholds()
        t.windowMillis = window
        t.minSamples = minSamples
        return t
    }

    @Test func theProductSpecDefaults() {
        let t = MonitorThresholds()
        #expect(t.queueLength == 100 && t.errorRatePercent == 5 && t.cacheHitRatePercent == 50)
        #expect(t.windowMillis == 300_000)
    }

    @Test func errorRateFiresOverTheWindowAndClearsWhenOldErrorsLeaveIt() {
        var e = MonitorEvaluator()
        let t = Self.thresholds()
        #expect(e.observe(MonitorSample(calls: 0, errors: 0), atMillis: 0, thresholds: t).transitions.isEmpty)
        // 3 errors in 9 calls: over 5% but under the minimum of 10 calls.
        #expect(e.observe(MonitorSample(calls: 9, errors: 3), atMillis: 1_000, thresholds: t).transitions.isEmpty)
        let fired = e.observe(MonitorSample(calls: 20, errors: 3), atMillis: 2_000, thresholds: t)
        let errorRate = fired.measurements.first { $0.condition == .errorRate }
        #expect(errorRate?.value == 15 && errorRate?.samples == 20)
        #expect(fired.transitions.count == 1)
        guard case .fired(let m) = fired.transitions.first else { Issue.record("expected a firing"); return }
        #expect(m.condition == .errorRate)
        #expect(e.firing == [.errorRate])
        // Still firing: no new transition.
        #expect(e.observe(MonitorSample(calls: 40, errors: 4), atMillis: 5_000, thresholds: t).transitions.isEmpty)
        // Twelve seconds on, the window starts after the errors: 100 clean calls since the base at 2 s.
        let cleared = e.observe(MonitorSample(calls: 120, errors: 4), atMillis: 12_000, thresholds: t)
        #expect(cleared.measurements.first { $0.condition == .errorRate }?.value == 1)
        guard case .cleared(let c) = cleared.transitions.first else { Issue.record("expected a clearing"); return }
        #expect(c.condition == .errorRate)
        #expect(e.firing.isEmpty)
    }

    @Test func exactlyTheThresholdDoesNotFire() {
        var e = MonitorEvaluator()
        let t = Self.thresholds()
        _ = e.observe(MonitorSample(), atMillis: 0, thresholds: t)
        #expect(e.observe(MonitorSample(calls: 100, errors: 5), atMillis: 1_000, thresholds: t).transitions.isEmpty)
        #expect(!e.observe(MonitorSample(calls: 200, errors: 11), atMillis: 2_000, thresholds: t).transitions.isEmpty)
    }

    @Test func quietTrafficClearsAFiringRate() {
        var e = MonitorEvaluator()
        let t = Self.thresholds(window: 1_000)
        _ = e.observe(MonitorSample(), atMillis: 0, thresholds: t)
        #expect(e.observe(MonitorSample(calls: 10, errors: 10), atMillis: 500, thresholds: t).transitions.count == 1)
        // No calls for a window: nothing to measure, so the alert clears rather than staying on.
        let quiet = e.observe(MonitorSample(calls: 10, errors: 10), atMillis: 2_000, thresholds: t)
        #expect(quiet.transitions.count == 1)
        #expect(e.firing.isEmpty)
    }

    @Test func cacheHitRateAndQueueLength() {
        var e = MonitorEvaluator()
        let t = Self.thresholds()
        _ = e.observe(MonitorSample(cacheHits: 0, cacheMisses: 0, queueLength: 0), atMillis: 0, thresholds: t)
        let low = e.observe(MonitorSample(cacheHits: 4, cacheMisses: 16, queueLength: 101), atMillis: 1_000,
                            thresholds: t)
        #expect(Self.conditions(low.transitions, fired: true) == [.cacheHitRate, .queueLength])
        #expect(low.measurements.first { $0.condition == .cacheHitRate }?.value == 20)
        let better = e.observe(MonitorSample(cacheHits: 64, cacheMisses: 16, queueLength: 100), atMillis: 2_000,
                               thresholds: t)
        #expect(Self.conditions(better.transitions, fired: false) == [.cacheHitRate, .queueLength],
                "80% hits; exactly 100 queued is not over 100")
        // A part that stops reporting cannot keep its alert on.
        _ = e.observe(MonitorSample(queueLength: 500), atMillis: 3_000, thresholds: t)
        #expect(e.firing == [.queueLength])
        let gone = e.observe(MonitorSample(), atMillis: 4_000, thresholds: t)
        #expect(gone.transitions.count == 1 && e.firing.isEmpty)
    }

    static func conditions(_ transitions: [MonitorEvaluator.Transition], fired: Bool)
        -> Set<MonitorEvaluator.Condition>
    {
        var out: Set<MonitorEvaluator.Condition> = []
        for transition in transitions {
            switch transition {
            case .fired(let m) where fired: out.insert(m.condition)
            case .cleared(let m) where !fired: out.insert(m.condition)
            default: break
            }
        }
        return out
    }

    @Test func aCounterThatWentBackwardsCountsFromZero() {
        var e = MonitorEvaluator()
        let t = Self.thresholds()
        _ = e.observe(MonitorSample(calls: 1_000, errors: 0), atMillis: 0, thresholds: t)
        let after = e.observe(MonitorSample(calls: 20, errors: 20), atMillis: 1_000, thresholds: t)
        #expect(after.measurements.first { $0.condition == .errorRate }?.value == 100)
    }

    final class Source: Sendable {
        let sample = Mutex(MonitorSample())
    }

    @Test func theMonitorRaisesListsAndClearsAlerts() async throws {
        let clock = ManualClock(unixMillis: 1_764_500_000_000)
        let store = MemoryAlertStore()
        let center = AlertCenter(store: store, clock: clock)
        let source = Source()
        let monitor = AlertMonitor(
            alerts: center, thresholds: LiveSetting(Self.thresholds()), clock: clock, instanceID: "i-1"
        ) { source.sample.withLock { $0 } }

        await monitor.evaluate(intervalMillis: 1_000)
        source.sample.withLock { $0 = MonitorSample(calls: 50, errors: 10, queueLength: 250) }
        clock.advance(millis: 1_000)
        await monitor.evaluate(intervalMillis: 1_000)
        let active = try await center.active()
        #expect(Set(active.map(\.kind)) == ["error_rate", "queue_length"])
        let errorAlert = try #require(active.first { $0.kind == "error_rate" })
        #expect(errorAlert.severity == .warning)
        #expect(errorAlert.subject == "instance:i-1")
        #expect(errorAlert.message == "error rate 20% over the last 10 s is above 5%")
        #expect(errorAlert.details["state"] == "firing" && errorAlert.details["calls"] == "50")
        #expect(try await center.recent(limit: 10, sinceMillis: 0).count == 2)

        // The queue drains; the error rate stays on and its active entry carries the newest value.
        source.sample.withLock { $0 = MonitorSample(calls: 100, errors: 30, queueLength: 3) }
        clock.advance(millis: 1_000)
        await monitor.evaluate(intervalMillis: 1_000)
        let still = try await center.active()
        #expect(still.map(\.kind) == ["error_rate"])
        #expect(still.first?.details["value"] == "30")
        let recent = try await center.recent(limit: 10, sinceMillis: 0)
        #expect(recent.first?.kind == "queue_length" && recent.first?.severity == .info)
        #expect(recent.first?.details["state"] == "resolved")
        #expect(recent.first?.message == "queue length is back to 3 (threshold 100)")

        // An instance that stops evaluating leaves nothing on: the entry lapses after three rounds.
        clock.advance(millis: 3_001)
        #expect(try await center.active().isEmpty)
    }
}
