import GatewayCore

/// The `models` section: the default model and the fallback chains, which Complete and Stream follow when a request
/// names no chain of its own.
///
/// ```yaml
/// models:
///   default: gpt-4o-mini
///   fallback:
///     gpt-4o: gpt-4o-mini, claude-3-5-haiku-20241022
///     gpt-4o-mini: none
/// ```
///
/// Keys are `models.fallback.<model>`; the model is everything after the prefix, so names with dots work. `none`
/// gives a model no fallback.
enum ModelConfig {
    static let fallbackPrefix = "models.fallback."
    static let maxChain = 10
    static let maxNameBytes = 200

    /// A model name as a key or chain entry may carry it.
    static func name(_ text: String) throws(ConfigLoader.ValueError) -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= maxNameBytes,
            name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0 != "," })
        else {
            throw ConfigLoader.ValueError(message: "'\(text)' is not a model name (1 to \(maxNameBytes) printable ASCII characters)")
        }
        guard ModelCatalog.productDefaults.provider(for: name) != nil else {
            throw ConfigLoader.ValueError(
                message: "no provider serves '\(name)': use a model the catalog knows or a gpt-/o1-/claude- name")
        }
        return name
    }

    /// Applies one `models.fallback.<model>` value ("a, b" or "none").
    static func apply(key: String, value: String, to config: inout ServerConfig) throws(ConfigLoader.ValueError) {
        let model = try name(String(key.dropFirst(fallbackPrefix.count)))
        let text = value.trimmingCharacters(in: .whitespaces)
        var chain: [String] = []
        if text != "none" {
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                chain.append(try name(String(part)))
            }
        }
        guard chain.count <= maxChain else {
            throw ConfigLoader.ValueError(message: "a chain has at most \(maxChain) models, got \(chain.count)")
        }
        guard !chain.contains(model) else {
            throw ConfigLoader.ValueError(message: "\(model) cannot fall back to itself")
        }
        config.models.fallbacks[model] = chain
    }

    /// The effective chains as YAML lines under `models:` (`fallback:` and one line per model, in name order).
    static func render(_ catalog: ModelCatalog) -> [String] {
        var lines = ["  fallback:"]
        for (model, chain) in catalog.fallbacks.sorted(by: { $0.key < $1.key }) {
            lines.append("    \"\(model)\": \"\(chain.isEmpty ? "none" : chain.joined(separator: ", "))\"")
        }
        return lines
    }
}
