import GatewayCore
@testable import GatewayServer
import Testing

/// The `limits.<endpoint>.<level>` value syntax.
@Suite struct RateLimitRuleSpecTests {
    @Test(arguments: [
        ("10/1m", RateLimitRule(.tokenBucket, limit: 10, windowMillis: 60_000)),
        ("10/m", RateLimitRule(.tokenBucket, limit: 10, windowMillis: 60_000)),
        ("500/1h sliding_window", RateLimitRule(.slidingWindow, limit: 500, windowMillis: 3_600_000)),
        ("20/30s burst=45", RateLimitRule(.tokenBucket, limit: 20, windowMillis: 30_000, burst: 45)),
        ("3/250ms shadow", RateLimitRule(.tokenBucket, limit: 3, windowMillis: 250, shadow: true)),
        ("7/2d token_bucket", RateLimitRule(.tokenBucket, limit: 7, windowMillis: 172_800_000)),
    ])
    func parses(text: String, rule: RateLimitRule) throws {
        #expect(try RateLimitRuleSpec.parse(text) == rule)
        // What render prints parses back to the same rule.
        #expect(try RateLimitRuleSpec.parse(RateLimitRuleSpec.render(rule)) == rule)
    }

    @Test func offDisablesALimit() throws {
        #expect(try RateLimitRuleSpec.parse("off") == nil)
        #expect(RateLimitRuleSpec.render(nil) == "off")
    }

    @Test(arguments: ["", "10", "0/1m", "-1/1m", "10/", "10/1x", "10/0s", "x/1m", "10/1m burst=5", "10/1m fast",
                      "off now"])
    func rejects(text: String) {
        #expect(throws: RateLimitRuleSpec.ParseError.self) { try RateLimitRuleSpec.parse(text) }
    }

    @Test func theConfigurationKeysSetTheRightLevel() throws {
        let config = try ConfigLoader.load(
            file: nil, environment: ["AIGW_LIMIT_SEARCH_ENDPOINT": "100/1s", "AIGW_LIMIT_SEARCH_USER": "off"])
        #expect(config.rateLimits.endpoints[.search]?.endpoint == RateLimitRule(.tokenBucket, limit: 100, windowMillis: 1_000))
        #expect(config.rateLimits.endpoints[.search]?.user == nil)
        #expect(config.rateLimits.endpoints[.search]?.org == .perHour(1_000))
        #expect(config.rateLimits.endpoints[.chat] == RateLimitPolicy.productDefaults.endpoints[.chat])
    }
}
