import GatewayCore
import Testing

/// The value types cost accounting rests on: UTC days and exact integer prices, plus the in-memory store's bounds
/// (its behaviour is shared with Redis in `UsageStoreBehaviourTests`).
@Suite struct UsageCoreTests {
    // MARK: UTCDate

    @Test func parsesAndPrintsDays() throws {
        #expect(UTCDate("1970-01-01")?.daysSinceEpoch == 0)
        #expect(UTCDate("1970-01-02")?.daysSinceEpoch == 1)
        #expect(UTCDate("1969-12-31")?.daysSinceEpoch == -1)
        #expect(UTCDate("2026-01-01")?.daysSinceEpoch == 20_454)
        #expect(UTCDate(daysSinceEpoch: 20_454).description == "2026-01-01")
        #expect(UTCDate(daysSinceEpoch: -1).description == "1969-12-31")
        #expect(UTCDate(daysSinceEpoch: 0).adding(days: -365).description == "1969-01-01")
        #expect(UTCDate("0001-01-01")?.description == "0001-01-01")
        #expect(UTCDate("0999-12-31")?.adding(days: 1).description == "1000-01-01")
        #expect(UTCDate("2024-03-05")?.description == "2024-03-05")
        for bad in ["", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-13-01", "2024-00-10", "2024-01-00",
                    "2024-01-32", "2024-04-31", "abcd-ef-gh", "2024-01-01x", "2024-01-01-01"] {
            #expect(UTCDate(bad) == nil, "\(bad)")
        }
    }

    @Test func everyDayOfFourCenturiesRoundTrips() throws {
        let start = try #require(UTCDate("1800-01-01"))
        let end = try #require(UTCDate("2200-12-31"))
        var previous: (year: Int64, month: Int64, day: Int64)?
        for n in start.daysSinceEpoch...end.daysSinceEpoch {
            let day = UTCDate(daysSinceEpoch: n)
            #expect(UTCDate(day.description) == day)
            let c = day.components
            if let p = previous {
                // Each day follows the previous one in the calendar.
                let next = p.day < UTCDate(daysSinceEpoch: n - 1).daysInMonth
                    ? (p.year, p.month, p.day + 1) : (p.month == 12 ? (p.year + 1, 1, 1) : (p.year, p.month + 1, 1))
                #expect(c == next, "\(day)")
            }
            previous = c
        }
    }

    @Test func leapYears() {
        for (year, leap) in [(2024, true), (2023, false), (2000, true), (1900, false), (2100, false), (2400, true)] {
            #expect((UTCDate("\(year)-02-29") != nil) == leap, "\(year)")
            #expect(UTCDate("\(year)-02-01")?.daysInMonth == (leap ? 29 : 28))
            let days = UTCDate("\(year + 1)-01-01")!.daysSinceEpoch - UTCDate("\(year)-01-01")!.daysSinceEpoch
            #expect(days == (leap ? 366 : 365))
        }
        #expect(UTCDate("2024-02-28")?.adding(days: 1).description == "2024-02-29")
        #expect(UTCDate("2023-02-28")?.adding(days: 1).description == "2023-03-01")
        #expect(UTCDate("2024-12-31")?.adding(days: 1).description == "2025-01-01")
    }

    @Test func daysFromMillisRoundTowardsThePast() {
        #expect(UTCDate(unixMillis: 0).daysSinceEpoch == 0)
        #expect(UTCDate(unixMillis: 86_399_999).daysSinceEpoch == 0)
        #expect(UTCDate(unixMillis: 86_400_000).daysSinceEpoch == 1)
        #expect(UTCDate(unixMillis: -1).daysSinceEpoch == -1)
        #expect(UTCDate(unixMillis: -86_400_000).daysSinceEpoch == -1)
        #expect(UTCDate(unixMillis: -86_400_001).daysSinceEpoch == -2)
        let day = UTCDate("2026-03-10")!
        #expect(UTCDate(unixMillis: day.startUnixMillis) == day)
        #expect(UTCDate(unixMillis: day.startUnixMillis - 1) == day.adding(days: -1))
        #expect(UTCDate(unixMillis: day.startUnixMillis + 86_399_999) == day)
        #expect(UTCDate(daysSinceEpoch: -3).startUnixMillis == -259_200_000)
    }

    @Test func weekAndMonthStarts() {
        // 2026-01-01 is a Thursday; its ISO week began on Monday 2025-12-29.
        #expect(UTCDate("2026-01-01")?.weekStart.description == "2025-12-29")
        #expect(UTCDate("2025-12-29")?.weekStart.description == "2025-12-29")
        #expect(UTCDate("2026-01-04")?.weekStart.description == "2025-12-29")
        #expect(UTCDate("2026-01-05")?.weekStart.description == "2026-01-05")
        // 1970-01-01 was a Thursday too, so negative days need the floored modulo.
        #expect(UTCDate("1970-01-01")?.weekStart.description == "1969-12-29")
        #expect(UTCDate("1969-12-28")?.weekStart.description == "1969-12-22")
        for n: Int64 in -30...30 {
            let start = UTCDate(daysSinceEpoch: n).weekStart
            #expect(start.daysSinceEpoch <= n && n - start.daysSinceEpoch < 7)
            #expect(((start.daysSinceEpoch + 3) % 7 + 7) % 7 == 0)
        }
        #expect(UTCDate("2024-02-29")?.monthStart.description == "2024-02-01")
        #expect(UTCDate("2026-01-01")?.monthStart.description == "2026-01-01")
        #expect(UTCDate("1969-12-31")?.monthStart.description == "1969-12-01")
        #expect(UTCDate("2026-04-15")?.daysInMonth == 30)
        #expect(UTCDate("2026-12-15")?.daysInMonth == 31)
    }

    // MARK: Prices

    @Test func pricesAreExactNanoDollars() throws {
        let table = PriceTable.productDefaults
        // $0.00015 per 1K input tokens and $0.0006 per 1K output: 150 and 600 nano-dollars a token.
        let cost = try #require(table.cost(model: "gpt-4o-mini", usage: TokenUsage(input: 1_000, output: 500)))
        #expect(cost == 450_000)
        #expect(Double(cost) / 1e9 == 0.00045)
        #expect(table.cost(model: "gpt-4-turbo", usage: TokenUsage(input: 1, output: 1)) == 40_000)
        #expect(table.cost(model: "gpt-4o-mini", usage: .zero) == 0)
        // A million requests of that size add up exactly to $450.
        #expect((0..<1_000_000).reduce(Int64(0)) { sum, _ in sum + cost } == 450_000_000_000)
    }

    @Test func cachedAndCacheWritePrices() throws {
        let table = PriceTable.productDefaults
        // OpenAI: cached input at half price; cache writes cost as input.
        #expect(table.cost(model: "gpt-4o-mini", usage: TokenUsage(cachedInput: 1_000)) == 75_000)
        let gpt4o: Int64 = 100 * 5_000 + 100 * 2_500 + 10 * 15_000
        #expect(table.cost(model: "gpt-4o", usage: TokenUsage(input: 100, cachedInput: 100, output: 10)) == gpt4o)
        // Anthropic: cached input a tenth, cache writes 1.25 times input.
        let sonnet = TokenUsage(input: 2_000, cachedInput: 10_000, cacheWrite: 4_000, output: 300)
        let sonnetCost: Int64 = 2_000 * 3_000 + 10_000 * 300 + 4_000 * 3_750 + 300 * 15_000
        #expect(table.cost(model: "claude-3-5-sonnet-20241022", usage: sonnet) == sonnetCost)
        // Unspecified cached and cache-write prices default to the input price.
        let price = ModelPrice(input: 7, output: 11)
        #expect(price.cachedInputNanosPerToken == 7 && price.cacheWriteNanosPerToken == 7)
        #expect(price.cost(of: TokenUsage(input: 1, cachedInput: 2, cacheWrite: 3, output: 4)) == 7 * 6 + 44)
    }

    @Test func anUnknownModelHasNoPrice() {
        #expect(PriceTable.productDefaults.cost(model: "gpt-5-imaginary", usage: TokenUsage(input: 10)) == nil)
        #expect(PriceTable.productDefaults.cost(model: "GPT-4O-MINI", usage: TokenUsage(input: 10)) == nil)
        #expect(PriceTable(prices: [:]).cost(model: "gpt-4o-mini", usage: TokenUsage(input: 10)) == nil)
    }

    // MARK: MemoryUsageStore bounds

    static func record(_ id: String, at millis: Int64, cost: Int64 = 10) -> UsageRecord {
        UsageRecord(requestID: id, userID: "u", orgID: "o", endpoint: .chat, provider: .openai, model: "gpt-4o-mini",
                    usage: TokenUsage(input: 1), costNanos: cost, occurredAtMillis: millis)
    }

    @Test func requestIDsAreForgottenAfterTheirWindow() async throws {
        let clock = ManualClock()
        let store = MemoryUsageStore(clock: clock, idempotencyWindowMillis: 1_000)
        let now = clock.unixMillis()
        #expect(try await store.record(Self.record("a", at: now)))
        clock.advance(millis: 999)
        #expect(try await !store.record(Self.record("a", at: now)))
        #expect(try await store.record(Self.record("b", at: now)))
        #expect(store.rememberedRequestIDs == 2)
        clock.advance(millis: 1)
        // "a" is forgotten, so a duplicate this late counts again: the documented price of the bound.
        #expect(try await store.record(Self.record("a", at: now)))
        #expect(store.rememberedRequestIDs == 2)
        clock.advance(millis: 5_000)
        #expect(try await store.record(Self.record("c", at: now)))
        #expect(store.rememberedRequestIDs == 1)
        let day = UTCDate(unixMillis: now)
        #expect(try await store.days(.all, from: day, to: day)[day]?.totals.requests == 4)
    }

    @Test func atMostMaxRequestIDsAreRemembered() async throws {
        let clock = ManualClock()
        let store = MemoryUsageStore(clock: clock, maxRequestIDs: 100)
        for i in 0..<10_000 { #expect(try await store.record(Self.record("r\(i)", at: clock.unixMillis()))) }
        #expect(store.rememberedRequestIDs == 100)
        // The newest are the ones kept.
        #expect(try await !store.record(Self.record("r9999", at: clock.unixMillis())))
        #expect(try await store.record(Self.record("r0", at: clock.unixMillis())))
    }

    @Test func aggregatesPastRetentionAreDropped() async throws {
        let clock = ManualClock()
        let store = MemoryUsageStore(clock: clock, aggregateRetentionMillis: 10 * 86_400_000)
        let today = UTCDate(unixMillis: clock.unixMillis())
        #expect(try await store.record(Self.record("old", at: clock.unixMillis())))
        clock.advance(millis: 10 * 86_400_000)
        #expect(try await store.record(Self.record("new", at: clock.unixMillis())))
        #expect(try await store.days(.all, from: today, to: today.adding(days: 10)).count == 2)
        clock.advance(millis: 86_400_000)
        #expect(try await store.record(Self.record("newer", at: clock.unixMillis())))
        let days = try await store.days(.all, from: today, to: today.adding(days: 11))
        #expect(days.keys.sorted() == [today.adding(days: 10), today.adding(days: 11)])
        #expect(try await store.topSpenders(.user, from: today, to: today.adding(days: 11), limit: 5).first?.totals
            .requests == 2)
    }
}
