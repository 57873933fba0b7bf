import Foundation
import GatewayCore
import Testing

@Suite("Clocks")
struct ClockTests {
    @Test func manualClockStartsAtItsGivenTimes() {
        let defaults = ManualClock()
        #expect(defaults.unixMillis() == 1_767_225_600_000)
        #expect(defaults.monotonicNanos() == 1_000_000_000)
        let custom = ManualClock(unixMillis: 42, monotonicNanos: 7)
        #expect(custom.unixMillis() == 42)
        #expect(custom.monotonicNanos() == 7)
    }

    @Test func manualClockStandsStillUntilAdvanced() {
        let clock = ManualClock()
        let (wall, mono) = (clock.unixMillis(), clock.monotonicNanos())
        for _ in 0..<100 {
            #expect(clock.unixMillis() == wall)
            #expect(clock.monotonicNanos() == mono)
        }
    }

    @Test func manualClockAdvancesBothClocks() {
        let clock = ManualClock(unixMillis: 1_000, monotonicNanos: 5)
        clock.advance(millis: 1_500)
        #expect(clock.unixMillis() == 2_500)
        #expect(clock.monotonicNanos() == 5 + 1_500_000_000)
        clock.advance(millis: 0)
        #expect(clock.unixMillis() == 2_500)
        #expect(clock.monotonicNanos() == 5 + 1_500_000_000)
        clock.advance(millis: 86_400_000)  // a day
        #expect(clock.unixMillis() == 2_500 + 86_400_000)
        #expect(clock.monotonicNanos() == 5 + 1_500_000_000 + 86_400_000 * 1_000_000)
    }

    @Test func manualClockAdvancesAreNotLostUnderConcurrency() async {
        let clock = ManualClock(unixMillis: 0, monotonicNanos: 0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    for _ in 0..<100 { clock.advance(millis: 1) }
                }
            }
        }
        #expect(clock.unixMillis() == 5_000)
        #expect(clock.monotonicNanos() == 5_000_000_000)
    }

    @Test func manualClockIsAGatewayClock() {
        let clock: any GatewayClock = ManualClock(unixMillis: 9, monotonicNanos: 3)
        #expect(clock.unixMillis() == 9)
        #expect(clock.monotonicNanos() == 3)
    }

    @Test func systemMonotonicNeverDecreases() {
        let clock = SystemClock()
        var previous = clock.monotonicNanos()
        var decreases = 0
        for _ in 0..<100_000 {
            let now = clock.monotonicNanos()
            if now < previous { decreases += 1 }
            previous = now
        }
        #expect(decreases == 0)
    }

    @Test func systemMonotonicMeasuresElapsedTime() async throws {
        let clock = SystemClock()
        let start = clock.monotonicNanos()
        try await Task.sleep(for: .milliseconds(20))
        let elapsed = clock.monotonicNanos() - start
        #expect(elapsed >= 20_000_000)
        #expect(elapsed < 10_000_000_000)
    }

    @Test func systemWallClockIsUnixMillis() {
        let expected = Int64(Date().timeIntervalSince1970 * 1000)
        let actual = SystemClock().unixMillis()
        #expect(abs(actual - expected) < 5_000, "unixMillis() = \(actual), Date() = \(expected)")
    }
}
