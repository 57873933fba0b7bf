import GatewayCore
import Testing

/// The last-minute view behind `aigwctl top`: totals, the busiest callers and models of the window, records leaving
/// the window as time passes, and a bounded number of keys per second.
@Suite struct LiveActivityTests {
    static func record(_ user: String, _ org: String = "acme", model: String = "gpt-4o-mini", cost: Int64 = 100)
        -> UsageRecord
    {
        UsageRecord(
            requestID: "r", userID: user, orgID: org, endpoint: .chat, provider: .openai, model: model,
            usage: TokenUsage(input: 10, cachedInput: 2, output: 5), costNanos: cost, occurredAtMillis: 0)
    }

    @Test func totalsAndTheBusiestOfTheWindow() {
        let clock = ManualClock(unixMillis: 1_000_000)
        let activity = LiveActivity(clock: clock, windowSeconds: 60)
        activity.record(Self.record("alice", cost: 300))
        activity.record(Self.record("bob", model: "gpt-4o", cost: 1_000))
        activity.record(Self.record("alice", cost: 300))
        activity.record(Self.record("", "solo-org", cost: 1))
        let s = activity.snapshot(top: 2)
        #expect(s.records == 4 && s.costNanos == 1_601)
        #expect(s.inputTokens == 48 && s.outputTokens == 20)
        #expect(s.topCallers.map(\.key) == ["acme/bob", "acme/alice"])
        #expect(s.topCallers[1].tally == LiveActivity.Tally(records: 2, tokens: 34, costNanos: 600))
        #expect(s.topModels.map(\.key) == ["gpt-4o", "gpt-4o-mini"])
        #expect(activity.snapshot(top: 5).topCallers.last?.key == "solo-org")
    }

    @Test func recordsLeaveTheWindowButNotTheTotals() {
        let clock = ManualClock(unixMillis: 1_000_000)
        let activity = LiveActivity(clock: clock, windowSeconds: 10)
        activity.record(Self.record("old"))
        clock.advance(millis: 5_000)
        activity.record(Self.record("new"))
        #expect(activity.snapshot(top: 10).topCallers.map(\.key).sorted() == ["acme/new", "acme/old"])
        clock.advance(millis: 6_000)
        #expect(activity.snapshot(top: 10).topCallers.map(\.key) == ["acme/new"])
        // A bucket reused after the ring wraps starts empty.
        clock.advance(millis: 4_000)
        activity.record(Self.record("later"))
        #expect(activity.snapshot(top: 10).topCallers.map(\.key) == ["acme/later"])
        #expect(activity.snapshot(top: 10).records == 3)
    }

    @Test func keysPerSecondAreBounded() {
        let clock = ManualClock(unixMillis: 1_000_000)
        let activity = LiveActivity(clock: clock, windowSeconds: 60, maxKeysPerBucket: 3)
        for i in 0..<10 { activity.record(Self.record("u\(i)", model: "m\(i)", cost: 10)) }
        let s = activity.snapshot(top: 100)
        #expect(s.topCallers.count == 4)
        #expect(s.topCallers.first { $0.key == LiveActivity.other }?.tally.records == 7)
        #expect(s.topModels.count == 4)
        #expect(s.records == 10)
    }
}
