/// The text and token usage a fake completion returns.
///
/// The text is streamed one piece per event, and each piece counts as one output token. When no reply is set the fake
/// answers with ``defaultReply(forLastUserMessage:systemAndMessages:)``, so tests can compute exact expectations.
public struct FakeReply: Sendable, Hashable {
    /// The text, in the pieces it is streamed in; output tokens = `pieces.count`.
    public var pieces: [String]
    /// Input tokens that were neither read from nor written to a prompt cache.
    public var inputTokens: Int
    /// Input tokens read from the prompt cache. OpenAI reports them inside `prompt_tokens` (as
    /// `prompt_tokens_details.cached_tokens`); Anthropic reports them apart, as `cache_read_input_tokens`.
    public var cachedInputTokens: Int
    /// Input tokens written to the prompt cache: Anthropic's `cache_creation_input_tokens`. OpenAI has no such count,
    /// so its responses leave these out.
    public var cacheWriteTokens: Int

    public init(pieces: [String], inputTokens: Int, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.pieces = pieces
        self.inputTokens = inputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    /// A reply whose pieces are the words of `text` (see ``words(of:)``).
    public init(text: String, inputTokens: Int, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.init(
            pieces: FakeReply.words(of: text),
            inputTokens: inputTokens,
            cachedInputTokens: cachedInputTokens,
            cacheWriteTokens: cacheWriteTokens
        )
    }

    /// The whole text: the pieces joined.
    public var text: String { pieces.joined() }

    /// The output token count: one per piece.
    public var outputTokens: Int { pieces.count }

    /// The reply truncated to at most `maxTokens` pieces, as a provider does when `max_tokens` runs out.
    public func truncated(toMaxTokens maxTokens: Int?) -> FakeReply {
        guard let maxTokens, maxTokens < pieces.count else { return self }
        var copy = self
        copy.pieces = Array(pieces.prefix(max(0, maxTokens)))
        return copy
    }

    /// Splits `text` at whitespace into words, each word after the first keeping one leading space:
    /// `"You said: hello  world"` → `["You", " said:", " hello", " world"]`. Runs of whitespace collapse to one space.
    public static func words(of text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).enumerated().map {
            $0.offset == 0 ? String($0.element) : " " + $0.element
        }
    }

    /// The number of whitespace-separated words in `text`: the fake's token count.
    public static func tokenCount(of text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }

    /// The reply the fake gives when none is set: the pieces of `"You said: " + lastUserMessage` (see ``words(of:)``)
    /// and, as input tokens, the whitespace-separated words over the system prompt and every message's text content
    /// (all roles), with no cache tokens.
    ///
    /// - Parameters:
    ///   - lastUserMessage: the text of the last `user` message (content parts joined by spaces), or `""` if none.
    ///   - systemAndMessages: the system prompt (Anthropic's `system`; OpenAI's are among the messages) and the text
    ///     of every message.
    public static func defaultReply(
        forLastUserMessage lastUserMessage: String,
        systemAndMessages: [String]
    )
        -> FakeReply
    {
        FakeReply(
            text: "You said: " + lastUserMessage,
            inputTokens: systemAndMessages.reduce(0) { $0 + tokenCount(of: $1) }
        )
    }
}
