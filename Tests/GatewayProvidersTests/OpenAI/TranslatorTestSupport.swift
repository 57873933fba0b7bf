import Foundation
import GatewayCore
import GatewayProviders
import Testing

/// Helpers the OpenAI and Anthropic translator tests share: reading produced JSON independently of the translators
/// (with Foundation), header lookups, and replaying a recorded stream cut into reads in every possible way.
enum TranslatorTestSupport {
    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(bytes))
        return try #require(value as? [String: Any])
    }

    /// A case-insensitive header lookup over `fields`, as the HTTP layer provides it.
    static func headers(_ fields: [String: String]) -> (String) -> String? {
        let lowered = Dictionary(uniqueKeysWithValues: fields.map { ($0.key.lowercased(), $0.value) })
        return { lowered[$0.lowercased()] }
    }

    static func noHeaders(_ name: String) -> String? { nil }

    /// Replays `wire` through a fresh stream reader in the given reads; returns the events, or the error thrown.
    static func replay<T: ProviderTranslator>(
        _ translator: T, _ chunks: [[UInt8]], model: String, finish: Bool = true
    ) -> (events: [CompletionEvent], error: ProviderError?) {
        var reader = translator.makeStreamReader(model: model)
        var events: [CompletionEvent] = []
        do {
            for chunk in chunks { try reader.feed(chunk) { events.append($0) } }
            if finish { try reader.finish() }
            return (events, nil)
        } catch {
            return (events, error)
        }
    }

    /// The same wire bytes read whole, byte by byte, and cut in two at every position.
    static func everyChunking(_ wire: String) -> [(name: String, chunks: [[UInt8]])] {
        let bytes = Array(wire.utf8)
        var out: [(String, [[UInt8]])] = [("whole", [bytes]), ("byte by byte", bytes.map { [$0] })]
        for cut in 0...bytes.count {
            out.append(("split at \(cut)", [Array(bytes[..<cut]), Array(bytes[cut...])]))
        }
        return out
    }

    static func request(
        system: String? = nil, _ messages: [ChatMessage] = [ChatMessage(role: .user, content: "Hello!")]
    ) -> CompletionRequest {
        CompletionRequest(model: "alias", systemPrompt: system, messages: messages)
    }
}
