/// An answer kept in the response cache: the completion as the upstream gave it, including its original token
/// usage, so a hit can be recorded with those tokens at zero cost and reports show what the cache saved.
public struct CachedAnswer: Sendable, Hashable {
    public var id: String
    public var provider: ProviderKind
    public var model: String
    public var content: String
    public var finishReason: FinishReason
    /// What the upstream call that produced the answer used.
    public var usage: TokenUsage
    /// When it was stored (Unix milliseconds).
    public var storedAtMillis: Int64

    public init(
        id: String, provider: ProviderKind, model: String, content: String, finishReason: FinishReason,
        usage: TokenUsage, storedAtMillis: Int64
    ) {
        self.id = id
        self.provider = provider
        self.model = model
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
        self.storedAtMillis = storedAtMillis
    }

    public init(_ completion: Completion, storedAtMillis: Int64) {
        self.init(
            id: completion.id, provider: completion.provider, model: completion.model, content: completion.content,
            finishReason: completion.finishReason, usage: completion.usage, storedAtMillis: storedAtMillis)
    }

    public var completion: Completion {
        Completion(id: id, provider: provider, model: model, content: content, finishReason: finishReason, usage: usage)
    }

    private static let formatVersion: UInt8 = 1

    /// The stored form (what a shared store keeps): a format byte, then id, provider, model, finish reason, the four
    /// token counts, the store time and the content, in `CanonicalEncoder`'s encoding.
    public func encoded() -> [UInt8] {
        var e = CanonicalEncoder()
        e.bytes.reserveCapacity(encodedSize)
        e.bytes.append(Self.formatVersion)
        e.string(id)
        e.string(provider.rawValue)
        e.string(model)
        e.string(finishReason.rawValue)
        e.uint64(usage.input)
        e.uint64(usage.cachedInput)
        e.uint64(usage.cacheWrite)
        e.uint64(usage.output)
        e.uint64(UInt64(bitPattern: storedAtMillis))
        e.string(content)
        return e.bytes
    }

    /// The length of `encoded()`, without encoding: what the byte bounds count.
    public var encodedSize: Int {
        1 + 5 * 4 + id.utf8.count + provider.rawValue.utf8.count + model.utf8.count
            + finishReason.rawValue.utf8.count + 5 * 8 + content.utf8.count
    }

    /// Reads `encoded()`; nil for bytes in another format or damaged ones (a shared store treats them as a miss).
    public init?(encoded bytes: [UInt8]) {
        var d = CanonicalDecoder(bytes)
        do {
            guard try d.byte() == Self.formatVersion else { return nil }
            let id = try d.string()
            guard let provider = ProviderKind(rawValue: try d.string()) else { return nil }
            let model = try d.string()
            let finish = FinishReason(rawValue: try d.string()) ?? .other
            let usage = TokenUsage(
                input: try d.uint64(), cachedInput: try d.uint64(), cacheWrite: try d.uint64(), output: try d.uint64())
            let storedAt = Int64(bitPattern: try d.uint64())
            let content = try d.string()
            guard d.isAtEnd else { return nil }
            self.init(id: id, provider: provider, model: model, content: content, finishReason: finish, usage: usage,
                      storedAtMillis: storedAt)
        } catch {
            return nil
        }
    }
}
