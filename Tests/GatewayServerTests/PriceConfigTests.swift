import GatewayCore
@testable import GatewayServer
import Testing

/// The `prices` section: dollars per 1K tokens in, whole nano-dollars per token held, model names with dots.
@Suite struct PriceConfigTests {
    @Test func convertsDollarsPer1KExactly() throws {
        #expect(try PriceConfig.nanosPerToken("0.00015") == 150)
        #expect(try PriceConfig.nanosPerToken("0.03") == 30_000)
        #expect(try PriceConfig.nanosPerToken("$0.000075") == 75)
        #expect(try PriceConfig.nanosPerToken("0") == 0)
        for bad in ["0.0000001", "-0.01", "abc", "", "1e-3"] {
            #expect(throws: ConfigLoader.ValueError.self) { _ = try PriceConfig.nanosPerToken(bad) }
        }
        #expect(PriceConfig.per1K(150) == "0.00015")
        #expect(PriceConfig.per1K(30_000) == "0.03")
        #expect(PriceConfig.per1K(0) == "0.0")
    }

    @Test func keysMayHoldModelNamesWithDots() {
        #expect(PriceConfig.parse(key: "prices.gpt-3.5-turbo.input_per_1k")! == ("gpt-3.5-turbo", .input))
        #expect(PriceConfig.parse(key: "prices.ft:gpt-4o-mini:acme.output_per_1k")! == ("ft:gpt-4o-mini:acme", .output))
        #expect(PriceConfig.parse(key: "prices.gpt-4o.input")?.field == nil)
        #expect(PriceConfig.parse(key: "limits.chat.user") == nil)
    }

    @Test func theFileSectionOverridesAndAddsModels() throws {
        let config = try ConfigLoaderTests.load(yaml: """
            prices:
              gpt-4o-mini: {output_per_1k: 0.0012}
              "gpt-3.5-turbo": {input_per_1k: 0.001, output_per_1k: 0.002}
              home-llm:
                input_per_1k: 0.0001
                output_per_1k: 0.0002
            """)
        #expect(config.prices.prices["gpt-4o-mini"] == ModelPrice(input: 150, cachedInput: 75, output: 1_200))
        // Fields not given keep the table's value: gpt-3.5-turbo keeps its old 500 for cached input and cache writes.
        #expect(config.prices.prices["gpt-3.5-turbo"] == ModelPrice(input: 1_000, cachedInput: 500, cacheWrite: 500, output: 2_000))
        #expect(config.prices.prices["home-llm"] == ModelPrice(input: 100, output: 200))
        #expect(config.prices.prices["gpt-4o"] == PriceTable.productDefaults.prices["gpt-4o"])

        // What is rendered loads back to the same table.
        let again = try ConfigLoaderTests.load(yaml: ConfigLoader.render(config))
        #expect(again.prices == config.prices)
    }

    @Test func badPricesNameTheirKey() throws {
        let (error, _) = try ConfigLoaderTests.loadError(yaml: "prices:\n  new-model: {input_per_1k: 0.001}\n")
        #expect(error?.key == "prices.new-model")
        let (bad, _) = try ConfigLoaderTests.loadError(yaml: "prices:\n  gpt-4o: {input_per_1k: lots}\n")
        #expect(bad?.key == "prices.gpt-4o.input_per_1k")
        let (unknownField, _) = try ConfigLoaderTests.loadError(yaml: "prices:\n  gpt-4o: {input: 0.001}\n")
        #expect(unknownField?.key == "prices.gpt-4o.input")
    }
}
