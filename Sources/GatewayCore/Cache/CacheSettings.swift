/// How the response cache behaves: on or off, who shares answers, how long each endpoint's answers live and how
/// large one may be.
public struct CacheSettings: Sendable, Hashable {
    public var enabled = true
    public var scope = CacheScope.org
    /// Per endpoint; the product spec's defaults: chat 5 min, summarize 30 min, search 1 h, embeddings 2 h,
    /// translation 24 h.
    public var ttlMillis: [Endpoint: Int64] = CacheSettings.defaultTTLMillis
    /// Larger answers are not stored (they are still answered).
    public var maxEntryBytes = 1 << 20
    /// How many identical requests may wait for one upstream call; more make their own call.
    public var maxWaitersPerKey = 10_000

    public init() {}

    public static let defaultTTLMillis: [Endpoint: Int64] = [
        .chat: 300_000, .summarize: 1_800_000, .search: 3_600_000, .embeddings: 7_200_000, .translation: 86_400_000,
    ]

    public func ttlMillis(for endpoint: Endpoint) -> Int64 {
        ttlMillis[endpoint] ?? Self.defaultTTLMillis[endpoint] ?? 300_000
    }
}
