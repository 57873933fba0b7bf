import Foundation
import GatewayCore

/// The `prices` section of the configuration: dollars per 1K tokens, as the product spec and the providers publish
/// them, held as whole nano-dollars per token.
///
/// ```yaml
/// prices:
///   gpt-4o-mini: {input_per_1k: 0.00015, output_per_1k: 0.0006, cached_input_per_1k: 0.000075}
///   my-finetune: {input_per_1k: 0.0003, output_per_1k: 0.0012}
/// ```
///
/// Keys are `prices.<model>.<field>`; the model is everything between, so names with dots (`gpt-3.5-turbo`) work.
/// A model already in the table keeps the fields not given; a new model needs input and output (cached input and
/// cache writes then cost as input).
enum PriceConfig {
    enum Field: String, CaseIterable {
        case input = "input_per_1k"
        case cachedInput = "cached_input_per_1k"
        case cacheWrite = "cache_write_per_1k"
        case output = "output_per_1k"
    }

    /// Per model, the fields given, in nano-dollars per token.
    typealias Overrides = [String: [Field: Int64]]

    static let prefix = "prices."

    /// The model and field a dotted key names; nil when it is not a price key at all.
    static func parse(key: String) -> (model: String, field: Field?)? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        for field in Field.allCases where rest.hasSuffix("." + field.rawValue) {
            let model = rest.dropLast(field.rawValue.count + 1)
            return model.isEmpty ? (String(rest), nil) : (String(model), field)
        }
        return (String(rest), nil)
    }

    /// `0.00015` ($ per 1K tokens) → 150 nano-dollars per token; it must come out whole.
    static func nanosPerToken(_ text: String) throws(ConfigLoader.ValueError) -> Int64 {
        guard let per1K = Money.nanos(fromDollars: text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigLoader.ValueError(message: "expected dollars per 1K tokens, e.g. 0.00015, got '\(text)'")
        }
        guard per1K % 1_000 == 0 else {
            throw ConfigLoader.ValueError(
                message: "\(text) per 1K tokens is not a whole number of nano-dollars per token (at most 6 decimals)")
        }
        return per1K / 1_000
    }

    /// Applies one `prices.<model>.<field>` value to `overrides`.
    static func apply(key: String, value: String, to overrides: inout Overrides) throws(ConfigLoader.ValueError) {
        guard let (model, field) = parse(key: key), let field else {
            throw ConfigLoader.ValueError(
                message: "expected prices.<model>.{\(Field.allCases.map(\.rawValue).joined(separator: ","))}")
        }
        overrides[model, default: [:]][field] = try nanosPerToken(value)
    }

    /// `base` with `overrides` applied; names the model that cannot be priced.
    static func table(base: PriceTable, overrides: Overrides) throws(ConfigError) -> PriceTable {
        var table = base
        for (model, fields) in overrides.sorted(by: { $0.key < $1.key }) {
            let old = table.prices[model]
            guard let input = fields[.input] ?? old?.inputNanosPerToken,
                let output = fields[.output] ?? old?.outputNanosPerToken
            else {
                throw ConfigError(key: prefix + model, message: "a new model needs input_per_1k and output_per_1k",
                                  source: "prices")
            }
            table.prices[model] = ModelPrice(
                input: input, cachedInput: fields[.cachedInput] ?? old?.cachedInputNanosPerToken ?? input,
                cacheWrite: fields[.cacheWrite] ?? old?.cacheWriteNanosPerToken ?? input, output: output)
        }
        return table
    }

    /// The table as the YAML `prices:` section, models in name order.
    static func render(_ table: PriceTable) -> String {
        var lines = ["prices:"]
        for (model, price) in table.prices.sorted(by: { $0.key < $1.key }) {
            let fields: [(Field, Int64)] = [
                (.input, price.inputNanosPerToken), (.cachedInput, price.cachedInputNanosPerToken),
                (.cacheWrite, price.cacheWriteNanosPerToken), (.output, price.outputNanosPerToken),
            ]
            let shown = fields.map { "\($0.0.rawValue): \(per1K($0.1))" }.joined(separator: ", ")
            lines.append("  \"\(model)\": {\(shown)}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 150 → `0.00015`.
    static func per1K(_ nanosPerToken: Int64) -> String {
        var text = Money.dollars(nanosPerToken * 1_000).dropFirst()  // "$0.000150" → "0.000150"
        while text.hasSuffix("0") && !text.hasSuffix(".0") { text = text.dropLast() }
        return String(text)
    }
}
